package libcontainer

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xeipuuv/gojsonschema"
)

// The features document must validate against the runtime-spec's own
// schema, shipped in the runtime-spec module.
func TestFeaturesMatchSchema(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/opencontainers/runtime-spec").Output()
	if err != nil {
		t.Skipf("locate runtime-spec module: %v", err)
	}
	schema := filepath.Join(strings.TrimSpace(string(out)), "schema", "features-schema.json")
	doc, err := json.Marshal(Features("test"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := gojsonschema.Validate(gojsonschema.NewReferenceLoader("file://"+schema), gojsonschema.NewBytesLoader(doc))
	if err != nil {
		t.Fatalf("validate: %v", err)
	}
	for _, e := range res.Errors() {
		t.Errorf("features: %s", e)
	}
	if !res.Valid() {
		t.Logf("document: %s", doc)
	}
}
