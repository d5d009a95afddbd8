// Package migrations holds the versioned SQL schema of every store backend,
// embedded into the binary and applied by the backend when it opens its
// database.
//
// Each backend has its own directory of files named NNNN_description.sql
// (for example sqlite/0001_init.sql). Versions start at 1 and are
// contiguous; a file is never edited once released — a schema change is a
// new file with the next version. The backend records every applied version
// in a schema_migrations table (version, name, applied_at) and refuses a
// database whose recorded version is newer than the newest file it embeds.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed sqlite/*.sql
var embedded embed.FS

// SQLite returns the migrations of the sqlite backend (store/sqlite) as a
// read-only file system whose root holds the NNNN_description.sql files.
func SQLite() fs.FS {
	sub, err := fs.Sub(embedded, "sqlite")
	if err != nil {
		// fs.Sub only fails on an invalid path, and "sqlite" is valid.
		panic(fmt.Sprintf("migrations: %v", err))
	}
	return sub
}

// Migration is one versioned schema change.
type Migration struct {
	// Version is the number prefix of the file name (1, 2, ...).
	Version int
	// Name is the file name, e.g. "0001_init.sql".
	Name string
	// SQL is the file's content: one or more statements.
	SQL string
}

// Load reads every *.sql file at the root of fsys and returns them sorted by
// version. It fails when a name does not have the NNNN_description.sql form,
// when two files share a version, or when versions are not contiguous from 1,
// so that a packaging mistake is caught before anything is applied.
func Load(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("migrations: read dir: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		v, err := parseVersion(e.Name())
		if err != nil {
			return nil, err
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("migrations: read %s: %w", e.Name(), err)
		}
		if strings.TrimSpace(string(b)) == "" {
			return nil, fmt.Errorf("migrations: %s is empty", e.Name())
		}
		out = append(out, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			if i > 0 && out[i-1].Version == m.Version {
				return nil, fmt.Errorf("migrations: %s and %s share version %d", out[i-1].Name, m.Name, m.Version)
			}
			return nil, fmt.Errorf("migrations: %s has version %d, want %d (versions must be contiguous from 1)", m.Name, m.Version, i+1)
		}
	}
	return out, nil
}

// Latest returns the highest version in ms, or 0 when ms is empty.
func Latest(ms []Migration) int {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

func parseVersion(name string) (int, error) {
	prefix, rest, ok := strings.Cut(name, "_")
	if !ok || len(prefix) != 4 || strings.TrimSuffix(rest, ".sql") == "" {
		return 0, fmt.Errorf("migrations: %q: want a name like 0001_description.sql", name)
	}
	v, err := strconv.Atoi(prefix)
	if err != nil || v < 1 {
		return 0, fmt.Errorf("migrations: %q: version prefix must be a positive 4-digit number", name)
	}
	return v, nil
}
