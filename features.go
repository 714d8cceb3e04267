package main

import (
	"encoding/json"
	"os"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	verbs["features"] = verb{"show the enabled features (runtime-spec features document)", func(g *global, args []string) error {
		fs := newFlags("features", "")
		if _, err := parseArgs(fs, args, 0, 0); err != nil {
			return err
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "    ")
		return enc.Encode(libcontainer.Features(version))
	}}
}
