// The `mlws` command line: `mlws server` and the client verbs that talk REST to --url / MLWS_URL.
#pragma once

namespace mlws::cli {

int Main(int argc, char** argv);

}  // namespace mlws::cli
