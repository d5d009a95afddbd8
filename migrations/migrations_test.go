package migrations

import (
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// txControl matches transaction control statements (not a trigger's BEGIN).
var txControl = regexp.MustCompile(`(?i)\b(COMMIT\b|END\s+TRANSACTION\b|BEGIN\s*;|BEGIN\s+(TRANSACTION|IMMEDIATE|EXCLUSIVE|DEFERRED)\b)`)

func TestSQLiteMigrationsLoad(t *testing.T) {
	ms, err := Load(SQLite())
	if err != nil {
		t.Fatalf("Load(SQLite()): %v", err)
	}
	if len(ms) == 0 {
		t.Fatal("no sqlite migrations embedded")
	}
	for i, m := range ms {
		if m.Version != i+1 {
			t.Errorf("migration %d: version %d", i, m.Version)
		}
		if !strings.Contains(m.SQL, ";") {
			t.Errorf("%s: no SQL statement", m.Name)
		}
		if txControl.MatchString(m.SQL) {
			t.Errorf("%s: must not manage transactions; the runner applies every pending migration in one", m.Name)
		}
	}
	if got := Latest(ms); got != len(ms) {
		t.Errorf("Latest = %d, want %d", got, len(ms))
	}
	if ms[0].Name != "0001_init.sql" {
		t.Errorf("first migration is %s", ms[0].Name)
	}
}

func TestLoad(t *testing.T) {
	sql := &fstest.MapFile{Data: []byte("CREATE TABLE t (x INTEGER);")}
	tests := []struct {
		name    string
		fs      fstest.MapFS
		want    []int
		wantErr string
	}{
		{name: "empty", fs: fstest.MapFS{}, want: nil},
		{name: "sorted", fs: fstest.MapFS{"0002_b.sql": sql, "0001_a.sql": sql, "README.md": sql}, want: []int{1, 2}},
		{name: "gap", fs: fstest.MapFS{"0001_a.sql": sql, "0003_c.sql": sql}, wantErr: "contiguous"},
		{name: "duplicate", fs: fstest.MapFS{"0001_a.sql": sql, "0001_b.sql": sql}, wantErr: "share version"},
		{name: "not starting at 1", fs: fstest.MapFS{"0002_a.sql": sql}, wantErr: "contiguous"},
		{name: "bad name", fs: fstest.MapFS{"1_a.sql": sql}, wantErr: "0001_description.sql"},
		{name: "no description", fs: fstest.MapFS{"0001_.sql": sql}, wantErr: "0001_description.sql"},
		{name: "zero version", fs: fstest.MapFS{"0000_a.sql": sql}, wantErr: "positive"},
		{name: "non-numeric", fs: fstest.MapFS{"00a1_a.sql": sql}, wantErr: "positive"},
		{name: "empty file", fs: fstest.MapFS{"0001_a.sql": &fstest.MapFile{Data: []byte(" \n")}}, wantErr: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := Load(tt.fs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load: err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.Version)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("versions = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("versions = %v, want %v", got, tt.want)
				}
			}
		})
	}
}
