package main

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// yamlLocation names the config key at line (1-based) of raw whose value
// contains needle, the way validation errors name fields:
// `idps[0]: idp "corp": client_secret`, or `auth.api_key`. It returns ""
// when raw does not parse or nothing matches (the caller still has the
// line number).
func yamlLocation(raw []byte, line int, needle string) string {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil || len(doc.Content) == 0 {
		return ""
	}
	var walk func(n *yaml.Node, path []string, idpID string) string
	walk = func(n *yaml.Node, path []string, idpID string) string {
		switch n.Kind {
		case yaml.ScalarNode:
			if n.Line == line && strings.Contains(n.Value, needle) {
				return formatLocation(path, idpID)
			}
		case yaml.MappingNode:
			if len(path) == 2 && path[0] == "idps" {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == "id" {
						idpID = n.Content[i+1].Value
					}
				}
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				if loc := walk(n.Content[i+1], append(path, n.Content[i].Value), idpID); loc != "" {
					return loc
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				if loc := walk(c, append(path, fmt.Sprintf("[%d]", i)), idpID); loc != "" {
					return loc
				}
			}
		}
		return ""
	}
	return walk(doc.Content[0], nil, "")
}

// formatLocation joins a key path: idps entries as `idps[i]: idp "id": key`,
// the rest dotted (list indexes attached to their key).
func formatLocation(path []string, idpID string) string {
	join := func(p []string) string {
		var b strings.Builder
		for i, s := range p {
			if i > 0 && !strings.HasPrefix(s, "[") {
				b.WriteByte('.')
			}
			b.WriteString(s)
		}
		return b.String()
	}
	if len(path) >= 3 && path[0] == "idps" {
		id := "idp (no id)"
		if idpID != "" {
			id = fmt.Sprintf("idp %q", idpID)
		}
		return fmt.Sprintf("idps%s: %s: %s", path[1], id, join(path[2:]))
	}
	return join(path)
}

// locationPrefix is yamlLocation followed by ": ", or "".
func locationPrefix(raw []byte, line int, needle string) string {
	if loc := yamlLocation(raw, line, needle); loc != "" {
		return loc + ": "
	}
	return ""
}
