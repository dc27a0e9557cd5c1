// Package audit turns Landlock's audit records into denials: the
// kernel's own answer to "what did this sandbox deny". It owns the record
// formats and what a record means:
//
//   - parsing: [ParseMessage] for a netlink payload, and
//     [Correlator.ReadLog] for a log in any format landlearn reads (auditd
//     raw or ENRICHED, ausearch --raw and its default output, the kernel
//     console, journalctl -o json), bad lines counted, never fatal;
//   - correlation: a [Correlator] joins the LANDLOCK_ACCESS (1423),
//     LANDLOCK_DOMAIN (1424) and SYSCALL (1300) records of each event into
//     a [Denial], and a domain's records into a [Domain];
//   - meaning: a Denial's rights ([Denial.Rights]), its object
//     ([Denial.Object]) and the policy rule that would allow it
//     ([Denial.FixRule]).
//
// It opens no socket, changes no kernel setting and runs nothing; those
// jobs have packages of their own beneath it:
//
//   - live reads the records from the kernel as a command runs, and
//     proves first that it sees denials;
//   - session switches audit on for landlearn and restores it afterwards,
//     shared by every landlearn process through a lock;
//   - explain tells people what audit logs hold (`landlearn explain`);
//   - verify runs a command under a policy and reports what the kernel
//     denied (`landlearn verify`);
//   - rounds learns a policy by running a command until the kernel denies
//     nothing (`landlearn learn --backend audit`);
//   - workdir resets the working directory between those rounds;
//   - audittest gives tests a listener under the same lock as landlearn.
package audit
