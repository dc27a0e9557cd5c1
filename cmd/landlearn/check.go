package main

import "github.com/spf13/cobra"

func init() {
	rootCmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "check (not implemented yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return notImplemented("check")
		},
	})
}
