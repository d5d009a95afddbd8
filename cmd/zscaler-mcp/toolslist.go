package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/zscalermcp/zscaler-mcp/resource"
)

// listTools prints the tools the selection flags pick (write tools
// included, whether or not the write gate would register them) as a table
// of name, service, access (read, write, delete) and description, then a
// summary. It needs no credentials and contacts nothing.
func listTools(w io.Writer, tc toolsConfig) error {
	all := tc.Selection
	all.EnableWrite, all.WritePatterns = true, []string{"*"}
	listed, _ := all.Apply(tc.Catalogue)
	on, _ := tc.Selection.Apply(tc.Catalogue)
	enabled := map[string]bool{}
	for _, s := range on {
		enabled[s.Name] = true
	}

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSERVICE\tACCESS\tDESCRIPTION")
	who := resource.WhoamiTool().Def
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", who.Name, "-", "read", summary(who.Description))
	reads, writes, writesOn := 1, 0, 0
	for _, s := range listed {
		access := s.Kind.String()
		if s.Write() {
			writes++
			if enabled[s.Name] {
				writesOn++
			} else {
				access += " (off)"
			}
		} else {
			reads++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.Service, access, summary(s.Description))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "\n%d tools: %d read, %d write/delete (%d write tools on with these settings; write tools need both --enable-write-tools and --write-tools)\n",
		reads+writes, reads, writes, writesOn); err != nil {
		return err
	}
	var toolsets []string
	for _, s := range listed {
		if !slices.Contains(toolsets, s.Toolset) {
			toolsets = append(toolsets, s.Toolset)
		}
	}
	slices.Sort(toolsets)
	if len(toolsets) == 0 {
		return nil
	}
	_, err := fmt.Fprintf(w, "Toolsets (--toolsets, --disabled-toolsets): %s\n", strings.Join(toolsets, ", "))
	return err
}

// summary is the first sentence of a description, on one line, at most
// 100 characters.
func summary(d string) string {
	d = firstSentence(d)
	if r := []rune(d); len(r) > 100 {
		d = string(r[:97]) + "..."
	}
	return d
}

// firstSentence is the first sentence of a description, on one line
// (periods after abbreviations such as "e.g." do not end it).
func firstSentence(d string) string {
	d = strings.Join(strings.Fields(d), " ")
	for from := 0; ; {
		i := strings.Index(d[from:], ". ")
		if i < 0 {
			break
		}
		end := from + i
		if !abbreviation(d[:end]) {
			d = d[:end+1]
			break
		}
		from = end + 2
	}
	return d
}

// abbreviation reports whether text before a period ends with an
// abbreviation (e.g., i.e., etc., vs.) rather than a sentence.
func abbreviation(before string) bool {
	w := before[strings.LastIndexAny(before, " (")+1:]
	switch strings.ToLower(w) {
	case "e.g", "i.e", "etc", "vs", "eg", "ie":
		return true
	}
	return false
}
