// Package emit writes a policy.Policy out for people and for other tools:
// the landlearn YAML file (schema versions 1 and 2) that is reviewed like code, a
// tree view of the granted paths, the landlock-lsm/landlockconfig JSON and
// TOML formats, and the text of a diff between two policies.
//
// Every writer is deterministic: the same policy gives the same bytes, so
// a policy regenerated in CI shows up in review only when a grant changed.
// Writers never change the policy they are given (they sort copies) and
// never expand variables such as ${HOME}: expansion belongs to the place
// where a policy is enforced or compared.
package emit
