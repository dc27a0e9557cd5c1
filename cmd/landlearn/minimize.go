package main

import "github.com/spf13/cobra"

func init() {
	rootCmd.AddCommand(&cobra.Command{
		Use:   "minimize",
		Short: "minimize (not implemented yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return notImplemented("minimize")
		},
	})
}
