// Command kstatus prints what cli-utils' kstatus (the library behind Flux's health checks and
// kpt/kapply's --wait) computes for each object it reads: a JSON or YAML stream on stdin (several
// documents, or a kind: List) in, one JSON line per object out:
//
//	{"kind":"RegionalApp","name":"checkout","status":"InProgress","message":"..."}
//
// Meridian's tests feed it live objects from the test bed, so the conditions the operator writes
// are judged by the real library rather than by a reading of its rules.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type verdict struct {
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Status  string `json:"status"`
	Message string `json:"message"`
}

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kstatus:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	decoder := yaml.NewYAMLOrJSONDecoder(in, 4096)
	encoder := json.NewEncoder(out)
	for {
		var doc json.RawMessage
		if err := decoder.Decode(&doc); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if len(doc) == 0 || string(doc) == "null" {
			continue // an empty YAML document
		}
		// Unstructured's own decoder keeps integers int64, as kstatus's field accessors expect.
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(doc); err != nil {
			return err
		}
		items := []unstructured.Unstructured{*obj}
		if obj.IsList() {
			list, err := obj.ToList()
			if err != nil {
				return err
			}
			items = list.Items
		}
		for i := range items {
			res, err := status.Compute(&items[i])
			if err != nil {
				return fmt.Errorf("%s %s: %w", items[i].GetKind(), items[i].GetName(), err)
			}
			v := verdict{Kind: items[i].GetKind(), Name: items[i].GetName(), Status: res.Status.String(), Message: res.Message}
			if err := encoder.Encode(v); err != nil {
				return err
			}
		}
	}
}
