// Package archmap holds no code: its test keeps docs/architecture.md true.
//
// The map lists every package of the module with what it owns and the
// packages of this module it imports. The test reads the map and the
// import clauses of every non-test Go file and fails when they differ, so
// a new import across the layers is a change to the map, made on purpose
// and reviewed with the code.
package archmap
