// Package apicheck holds the tests that keep the module's shape deliberate:
//
//   - the API snapshot (api/exported.txt at the repository root): every
//     exported identifier of every public package, with its signature,
//     written by a test and compared on every run, so that each change to
//     the public surface shows in review;
//   - the naming rules of CONTRIBUTING.md that a machine can check (request
//     and response types one to one with methods, a WeCom API docs link on
//     every endpoint method, the shapes of …Iter and …Many, options, ctx
//     first, no exported mutable variables, no type name reused across
//     packages without a reason);
//   - the layers: which package may import which (the table in layers.go is
//     the one place they are written; ARCHITECTURE.md explains them).
//
// Regenerate the snapshot after a deliberate change of the public surface:
//
//	go test ./internal/apicheck -run TestAPISnapshot -update
package apicheck
