package props

// Audit of 2026-11-22: for each invariant a bug was planted in sockactor
// (a temporary edit, restored) and the socket tests of this package were
// run. "Caught by" names the tests that failed; the rapid machines failed
// 20 runs of 20 for every plant of the second pass. Plants of the first
// pass were not recorded with their failing tests: those rows name the
// check their entry below gives, not re-verified.
//
//	inv  planted bug                                              caught by
//	 1   a body array taken as full when a transport read         TestStreamMachineRapid, conformance pdus-intact-any-split
//	     ends inside it                                           (sim and real), TestSocketScenario
//	 2   a finished PDU drops the rest of its transport read      TestStreamMachineRapid, conformance (sim; real hangs to its
//	                                                              60 s deadline), TestSocketScenario
//	 3   (b274881) withdrawing a started read calls next again    TestStreamMachineRapid
//	 4   (first pass)                                             caught (TestStreamMachineRapid, conformance)
//	 5   (first pass)                                             caught (TestBadInput, conformance next-errors, machine)
//	 6   a header taken as full when a transport read ends        TestStreamMachineRapid, conformance pdus-intact-any-split
//	     inside it                                                (sim only: real loopback never cut a header), TestSocketScenario
//	 7   no special case for an empty body (an empty array,       TestStreamMachineRapid (a read failed where the model has
//	     EINVAL, never done after the header)                     none), conformance pdus-intact-any-split, TestSocketScenario
//	 9   (first pass)                                             caught (conformance second-write-ebusy)
//	10   (first pass)                                             caught (TestStreamMachineRapid)
//	11   (first pass)                                             caught (CheckWire in TestStreamMachineRapid)
//	12   writev batch completed in reverse order                  TestStreamMachineRapid only (the conformance waits for
//	                                                              each write but not in order)
//	12   (first pass, datagram)                                   caught (TestDgramMachineRapid)
//	13   the read lane advances one PDU per transport event       TestStreamMachineRapid (a read waits though the model says
//	     (queued readers stall with their PDUs buffered)          it can end), conformance (sim; real hangs to its deadline),
//	                                                              TestSocketScenario
//	15   a mid-PDU EOF reported as ECONNRESET                     TestStreamMachineRapid (since this pass: the peer may close
//	                                                              inside a PDU; before, only conformance sim caught it)
//	17   (4392286) poison failing only the read in progress       TestStreamMachineRapid
//	18   a cancelled queued read left in the lane                 TestStreamMachineRapid (completed twice), conformance (sim;
//	                                                              real hangs to its deadline)
//	18   a withdrawn recvfrom left pending (datagram)             TestDgramMachineRapid (completed twice)
//	19   (efe8ed6) queued writes flushed before failing           CheckWire in TestStreamMachineRapid
//	21   (first pass)                                             caught (conformance cancel-after-partial-poisons)
//	22   (first pass)                                             caught (machine: timer armed at completion; conformance)
//	24   (first pass)                                             caught (conformance disconnect-rules)
//	25   (first pass)                                             caught (conformance stop-aborts-everything, machines)
//	26   (4465757) recvfrom giving another datagram's sender      TestDgramMachineRapid
//	27   (first pass)                                             caught (conformance zero-length-does-not-block, machine)
//	28   (first pass)                                             caught (conformance bad-sendto, TestDgramMachineRapid)
//	29   (first pass)                                             caught (conformance bad-sendto, TestDgramMachineRapid)
//	31   a withdrawn connect does not close its endpoint          TestStreamConnectRapid
//	31   a failed connect does not close its endpoint             TestStreamConnectRapid
//	31   a refused connect reported as EIO                        TestStreamConnectRapid, conformance refused (sim and real)
//	31   a connect completion without the local address           TestStreamConnectRapid (the Go face takes its addresses
//	                                                              from the endpoint; ConnectDone.Local carries this one)
//
// Not planted in this audit: 8 and 16 (their checks were shown to catch
// planted mutations in 3e9c58d), 20 (CheckWire's tail, efe8ed6), 14 and
// 23 (by construction), 30 (package sim's fault tests).

// SockInvariant is one invariant of research/samba-tsocket.md §6 and
// where actorio checks it, or why it does not apply.
type SockInvariant struct {
	N       int
	Text    string
	Checked string // the tests that check it; empty when not applicable
	NA      string // why it does not apply, when Checked is empty
}

// SockInvariants lists all 31 invariants of research §6.
var SockInvariants = []SockInvariant{
	{1, "framing independence under any segmentation", "TestStreamMachineRapid (random segments), FuzzPDUReader, conformance pdus-intact-any-split (real; sim with 1..7-byte segments), socket scenario S2", ""},
	{2, "no over-read: consumed == requested, the rest stays for the next read", "TestStreamMachineRapid (model comparison of every PDU after coalesced deliveries), FuzzPDUReader, conformance pdus-intact-any-split", ""},
	{3, "next asked again only after its array is full; k+1 calls; never after completion", "TestStreamMachineRapid: every read's next is counted: k+1 calls for a whole PDU of k arrays, none after the read completed, none for a cancel or a timeout; Frame phases in it and FuzzPDUReader (a Frame called out of phase would mis-parse)", ""},
	{4, "result == total bytes of the arrays; never success with fewer", "TestStreamMachineRapid (N == len(PDU)), conformance pdus-intact-any-split", ""},
	{5, "zero-total array EINVAL; >IOV_MAX or overflow EMSGSIZE; errors without errno EIO", "TestBadInput, conformance next-errors, TestStreamMachineRapid (empty writev)", ""},
	{6, "length headers split at every offset give the same PDU", "conformance pdus-intact-any-split (cuts 0..4), dnsquery TestDnsmasq/tcp-split-header, FuzzPDUReader (1-byte segments)", ""},
	{7, "zero-length bodies complete after the header", "TestStreamMachineRapid (bodies of 0; a read failed where the model has no failure), conformance pdus-intact-any-split (body 0), FuzzPDUReader seed of zero-length bodies", ""},
	{8, "second read EBUSY, first unaffected", "conformance second-read-ebusy, TestStreamMachineRapid (direct reads while pending)", ""},
	{9, "second write EBUSY, first unaffected", "conformance second-write-ebusy", ""},
	{10, "writev completes only when all bytes accepted; result == sum; empty entries harmless", "TestStreamMachineRapid (result == sum, empty entries anywhere; a transport write that comes back short with an error fails the write, never completes it; no write completes while the transport holds its buffers), conformance pdus-intact-any-split (nil entry); a short write of the kernel is retried inside net.Buffers.WriteTo (the Go poller), as for inv 14", ""},
	{11, "queue byte order: wire == concatenation of queued writes, no interleaving", "TestStreamMachineRapid (CheckWire after every step: the completed writes, in order, then at most a prefix of the failed writes the transport was given), socket scenario S2", ""},
	{12, "completion order == submission order for writev_queue, readv_pdu_queue, sendto_queue", "TestStreamMachineRapid, TestDgramMachineRapid (also: queued datagrams leave in submission order, each once, and those an abort kept from leaving go again first), conformance dgram/whole-with-source", ""},
	{13, "readv_pdu_queue with N readers gives N consecutive whole PDUs", "TestStreamMachineRapid (queued reads compared with the model; on a sound stream no read waits when the model says its PDU can end), conformance pdus-intact-any-split and sticky-eof-queued-in-order, socket scenario S2", ""},
	{14, "retryable conditions (EAGAIN, EINTR...) never reach the caller", "by construction: the real drivers use blocking net.Conn calls, which retry EAGAIN/EINTR inside the Go runtime poller; the simulated network has no retryable errors", ""},
	{15, "EOF inside a PDU fails the read with EPIPE, never a short PDU", "TestStreamMachineRapid (the peer sometimes closes inside a PDU; in an action where only the peer's data can fail a read it fails as the model says: EPIPE, or EMSGSIZE for an oversize length; no read waits after the EOF), TestBadInput, TestRealEcho, conformance sticky-eof-queued-in-order, FuzzPDUReader", ""},
	{16, "sticky error: every later read and write fails with it; EOF poisons writes", "TestStreamMachineRapid (sticky check on every completion), conformance sticky-eof-queued-in-order and max-pdu-emsgsize-poisons", ""},
	{17, "after a fatal error every queued request completes, in order", "TestStreamMachineRapid (once the stream is poisoned nothing stays pending but the writes the transport still holds, and each lane completes in submission order), conformance sticky-eof-queued-in-order, socket scenario S5", ""},
	{18, "exactly-once completion, never synchronous with the request", "TestStreamMachineRapid, TestDgramMachineRapid, socket scenario S1; asynchrony by construction (completions are delivered from the actor's Receive, after the request message was sent)", ""},
	{19, "a queued request cancelled or timed out before its turn does no I/O and does not block successors", "conformance cancel-before-start-clean; TestStreamMachineRapid: a write cancelled or expired before the transport was given it completes at once with ECANCELED/ETIMEDOUT and leaves no sticky error, and CheckWire finds none of its bytes on the wire; TestDgramMachineRapid: a sendto withdrawn before the transport had it completes at once, one withdrawn while the transport holds it only once the transport reports its batch (after Packet.AbortSend), and its batch-mates go on (TestWithdrawnSendWaitsForTheTransport, TestRealWithdrawnSendKeepsItsBuffer: no datagram is sent from a buffer after its sendto completed)", ""},
	{20, "cancelling a started write completes it atomically or poisons the stream", "TestStreamMachineRapid: cancels and timeouts of in-flight writes; CheckWire: the bytes after the completed writes are a prefix of the failed writes the transport was given, so a partial write is followed by no other request's bytes", ""},
	{21, "cancelling a PDU read that consumed bytes poisons the stream", "conformance cancel-after-partial-poisons; TestStreamMachineRapid (a later read that started mid-PDU would disagree with the model)", ""},
	{22, "timeout at virtual time ≥ endtime; a finished request never reports ETIMEDOUT", "conformance timeout-clean-then-usable (virtual and real clocks), TestStreamMachineRapid (no request completes with its timer armed: a request that finished first is never expired)", ""},
	{23, "no busy-spin with a peer that neither reads nor closes", "by construction: one outstanding transport read and write, woken only by events; conformance second-write-ebusy keeps a write blocked on a non-reading peer without extra wakeups (no timers are armed)", ""},
	{24, "disconnect EBUSY / EALREADY / ECONNABORTED during / ENOTCONN after", "conformance disconnect-rules", ""},
	{25, "stopping the socket completes everything pending with ECONNABORTED", "conformance stop-aborts-everything and dgram/stop-aborts, both rapid machines (stop action)", ""},
	{26, "each recvfrom returns one whole datagram with the sender's address", "conformance dgram/whole-with-source (up to 65507 B), TestDgramMachineRapid", ""},
	{27, "a zero-length datagram is delivered and never blocks later ones", "conformance dgram/zero-length-does-not-block (real UDP and simulated), TestDgramMachineRapid", ""},
	{28, "sendto: len 0 EINVAL, oversize EMSGSIZE, success returns len", "conformance dgram/bad-sendto, TestBadInput, TestDgramMachineRapid", ""},
	{29, "datagram errors are not sticky", "conformance dgram/bad-sendto, TestDgramMachineRapid (refused send then more sends)", ""},
	{30, "under loss/dup/reorder the received multiset ⊆ sent (+ duplicates), each intact", "dnsquery over UDP (answers matched by ID, duplicates ignored); the simulated network's loss/dup/reorder are exercised by TestNetDatagramFaults in package sim", ""},
	{31, "connect: usable stream with a real local address; refused → errno, no leak; no need for the server to speak first; cancel closes", "TestStreamConnectRapid (success with both addresses and a usable stream; refusal with its errno, EIO without one; cancel, expiry, stop; every failed or withdrawn connect closes the endpoint it opened), conformance refused and sockPair (addresses), goleak in every package with real sockets", ""},
}
