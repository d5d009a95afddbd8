package tools

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
)

// ServiceCodes returns the service codes a tool may belong to.
func ServiceCodes() []string { return []string{"zcc", "zdx", "zia", "zidentity", "zpa"} }

// Selection says which tools of the catalogue a server registers: the
// selection flags (--services, --toolsets, their --disabled-* twins,
// --disabled-tools) and the write gate (--enable-write-tools together with
// --write-tools). The zero value selects every read tool and no write tool.
type Selection struct {
	// Services keeps only tools of these services (empty: all).
	Services []string
	// DisabledServices drops tools of these services.
	DisabledServices []string
	// Toolsets keeps only tools of these toolsets (empty: all).
	Toolsets []string
	// DisabledToolsets drops tools of these toolsets.
	DisabledToolsets []string
	// DisabledTools drops tools whose name matches one of these path.Match
	// patterns (a plain name matches itself).
	DisabledTools []string
	// EnableWrite is the master switch for write and delete tools.
	EnableWrite bool
	// WritePatterns are path.Match patterns naming the write and delete
	// tools to register; only used with EnableWrite.
	WritePatterns []string
}

// SelectionError is a selection value that names nothing the catalogue
// knows (or is not a valid pattern). Setting is the selection field's
// setting name ("services", "toolsets", "disabled-tools", ...), so the
// caller can say how the user spelled it.
type SelectionError struct {
	Setting string
	Value   string
	// Kind is "service", "toolset", "tool" or "pattern".
	Kind string
	// Valid lists the accepted values (empty for a malformed pattern).
	Valid []string
}

func (e *SelectionError) Error() string {
	if e.Kind == "pattern" {
		return fmt.Sprintf("%q is not a valid glob pattern", e.Value)
	}
	valid := "none in this build"
	if len(e.Valid) > 0 {
		valid = strings.Join(e.Valid, ", ")
	}
	return fmt.Sprintf("unknown %s %q (valid: %s)", e.Kind, e.Value, valid)
}

// Validate checks every name of s against specs: services must be known
// service codes, toolsets must be toolsets of specs, disabled-tools entries
// must be valid patterns and a plain name must be a tool of specs, and
// write patterns must be valid patterns. The first problem is returned as a
// *SelectionError.
func (s Selection) Validate(specs []Spec) error {
	services := ServiceCodes()
	toolsets := map[string]bool{}
	names := map[string]bool{}
	for _, sp := range specs {
		if !slices.Contains(services, sp.Service) {
			services = append(services, sp.Service)
		}
		toolsets[sp.Toolset] = true
		names[sp.Name] = true
	}
	sort.Strings(services)
	check := func(setting, kind string, vals []string, known func(string) bool, valid []string) error {
		for _, v := range vals {
			if !known(v) {
				return &SelectionError{Setting: setting, Value: v, Kind: kind, Valid: valid}
			}
		}
		return nil
	}
	isService := func(v string) bool { return slices.Contains(services, v) }
	isToolset := func(v string) bool { return toolsets[v] }
	if err := check("services", "service", s.Services, isService, services); err != nil {
		return err
	}
	if err := check("disabled-services", "service", s.DisabledServices, isService, services); err != nil {
		return err
	}
	tsList := sortedKeys(toolsets)
	if err := check("toolsets", "toolset", s.Toolsets, isToolset, tsList); err != nil {
		return err
	}
	if err := check("disabled-toolsets", "toolset", s.DisabledToolsets, isToolset, tsList); err != nil {
		return err
	}
	for _, p := range s.DisabledTools {
		if _, err := path.Match(p, ""); err != nil {
			return &SelectionError{Setting: "disabled-tools", Value: p, Kind: "pattern"}
		}
		if !isGlob(p) && !names[p] {
			return &SelectionError{Setting: "disabled-tools", Value: p, Kind: "tool", Valid: sortedKeys(names)}
		}
	}
	for _, p := range s.WritePatterns {
		if _, err := path.Match(p, ""); err != nil {
			return &SelectionError{Setting: "write-tools", Value: p, Kind: "pattern"}
		}
	}
	return nil
}

// Apply returns the specs s selects, in their order, and warnings about
// settings that had no effect (the write gate half set).
func (s Selection) Apply(specs []Spec) (out []Spec, warnings []string) {
	writeOn := s.EnableWrite && len(s.WritePatterns) > 0
	switch {
	case s.EnableWrite && len(s.WritePatterns) == 0:
		warnings = append(warnings, "--enable-write-tools is set but --write-tools is empty: no write tools are registered (set --write-tools to the tools to allow, e.g. zia_*_url_category)")
	case !s.EnableWrite && len(s.WritePatterns) > 0:
		warnings = append(warnings, "--write-tools is set but --enable-write-tools is not: no write tools are registered (set --enable-write-tools too)")
	}
	for _, sp := range specs {
		switch {
		case len(s.Services) > 0 && !slices.Contains(s.Services, sp.Service),
			slices.Contains(s.DisabledServices, sp.Service),
			len(s.Toolsets) > 0 && !slices.Contains(s.Toolsets, sp.Toolset),
			slices.Contains(s.DisabledToolsets, sp.Toolset),
			matchAny(s.DisabledTools, sp.Name),
			sp.Write() && !(writeOn && matchAny(s.WritePatterns, sp.Name)):
			continue
		}
		out = append(out, sp)
	}
	return out, warnings
}

// matchAny reports whether name matches one of the path.Match patterns
// (malformed patterns, refused by Validate, match nothing).
func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

func isGlob(p string) bool { return strings.ContainsAny(p, `*?[\`) }

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
