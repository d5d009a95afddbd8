package tools

// ziaSpecs returns the zia tools.
func ziaSpecs() []Spec { return nil }
