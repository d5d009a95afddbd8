package tools

// zpaSpecs returns the zpa tools.
func zpaSpecs() []Spec { return nil }
