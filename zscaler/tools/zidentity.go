package tools

// zidentitySpecs returns the zidentity tools.
func zidentitySpecs() []Spec { return nil }
