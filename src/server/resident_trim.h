// Trims what a just-started server keeps resident without needing it: the code pages that
// starting up touched (migrations, route table, wiring) and the kernel mapped in 64 KiB
// batches around each touched page, and the heap freed by startup. Nothing is lost: code pages
// come back from the page cache on their next use. Call once, after startup, from one thread.
#pragma once

namespace mlws::server {

void TrimResidentMemory();

}  // namespace mlws::server
