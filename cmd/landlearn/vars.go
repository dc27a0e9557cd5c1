package main

import "github.com/landlearn/landlearn/policy"

// parseVars turns --var K=V flags into the policy's variables.
func parseVars(flags []string) (policy.Vars, error) {
	vars := policy.DefaultVars()
	for _, v := range flags {
		name, value, err := policy.ParseVar(v)
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		vars = vars.With(name, value)
	}
	return vars, nil
}
