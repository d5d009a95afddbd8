package tools

// zdxSpecs returns the zdx tools.
func zdxSpecs() []Spec { return nil }
