// Trims what a just-started server keeps resident without needing it: the file pages that
// starting up touched (code and read-only data of the binary and its libraries: migrations,
// route table, wiring, library initialisers; the pages of SQLite's memory-mapped database the
// migrations read), which the kernel maps in 64 KiB batches around each touched page, and the
// heap freed by startup. Only file pages the process never wrote are dropped, so nothing is
// lost: they come back from the page cache on their next use. Call once, after startup, from one
// thread.
#pragma once

namespace mlws::server {

void TrimResidentMemory();

}  // namespace mlws::server
