package tools

// zccSpecs returns the zcc tools.
func zccSpecs() []Spec { return nil }
