package main

import "github.com/spf13/cobra"

func init() {
	rootCmd.AddCommand(&cobra.Command{
		Use:   "verify",
		Short: "verify (not implemented yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return notImplemented("verify")
		},
	})
}
