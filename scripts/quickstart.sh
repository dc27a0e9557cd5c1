#!/usr/bin/env bash
# The README's quick start, run as written: build bin/landlearn, learn a
# policy for tar + gzip in a scratch directory, enforce it, show that it
# denies what tar never did, verify it with the kernel (root), and enforce
# the example policies. Each command and its output are shown; the script
# fails when one does not do what the README says.
exec bash "$(dirname "$0")/readme-examples.sh" "Quick start"
