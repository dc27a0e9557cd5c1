package main

import "github.com/spf13/cobra"

func init() {
	rootCmd.AddCommand(&cobra.Command{
		Use:   "learn",
		Short: "learn (not implemented yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return notImplemented("learn")
		},
	})
}
