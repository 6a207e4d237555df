// grafana-lint checks Grafana dashboard JSON files against Grafana's own dashboard schema, as
// generated in github.com/grafana/grafana-foundation-sdk (Apache-2.0): strict decoding (an
// unknown or mistyped key is an error, panel options and field config per panel type) and the
// schema's constraints. It prints one line per problem and exits 1 when there is any.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: grafana-lint DASHBOARD.json...")
		os.Exit(2)
	}
	plugins.RegisterDefaultPlugins()
	failed := false
	for _, file := range os.Args[1:] {
		raw, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", file, err)
			failed = true
			continue
		}
		var d dashboard.Dashboard
		if err := problems(d.UnmarshalJSONStrict(raw)); err != nil {
			fmt.Printf("%s: %v\n", file, err)
			failed = true
			continue
		}
		if err := problems(d.Validate()); err != nil {
			fmt.Printf("%s: %v\n", file, err)
			failed = true
			continue
		}
		fmt.Printf("%s: ok\n", file)
	}
	if failed {
		os.Exit(1)
	}
}

// problems is err unless it is an empty list: some of the SDK's decoders return an empty
// cog.BuildErrors, a non-nil error that reports nothing.
func problems(err error) error {
	var list cog.BuildErrors
	if errors.As(err, &list) && len(list) == 0 {
		return nil
	}
	return err
}
