#!/bin/sh
# The denials recorded in testdata/audit/*.log: run inside
# "recorder sandbox -- sh scenario.sh" (see README.md). Each line is
# denied by the sandbox's policy; the comment says which right.
R=/tmp/ll-rec/bin/rec
cat /etc/hostname                       # read_file on a file
touch /tmp/ll-rec/ro/new                # make_reg on the parent directory
cat "/tmp/ll-rec/secret dir/a file"     # read_file, path with spaces (hex)
ls "/tmp/ll-rec/secret dir"             # read_dir, hex
cat /tmp/ll-rec/données/x               # read_file, non-ASCII path (hex)
mkdir /tmp/ll-rec/ro/d                  # make_dir
ln -s x /tmp/ll-rec/ro/s                # make_sym
mkfifo /tmp/ll-rec/ro/f                 # make_fifo
rm -f /tmp/ll-rec/ro/file               # remove_file
rmdir /tmp/ll-rec/ro/sub                # remove_dir
mv /tmp/ll-rec/rw1/f /tmp/ll-rec/rw2/g  # refer on both parents
true > /tmp/ll-rec/rw1/keep             # truncate (O_TRUNC)
/tmp/ll-rec/noexec/prog                 # execute
$R connect 443                          # connect_tcp
$R bind 8080                            # bind_tcp
$R bind6 8081                           # bind_tcp, IPv6
$R bind 0                               # bind_tcp, port 0
kill -0 "$SERVER"                       # scope.signal
$R abstract ll-rec                      # scope.abstract_unix_socket
$R ioctl /dev/null                      # ioctl_dev
$R ptrace "$SERVER"                     # ptrace
$R sandbox -nested -- cat /etc/hosts    # a nested domain
exit 0
