// Uploads of local files and folders for specs (asset paths, job code): content-hashed, packed
// as tar+zstd and sent once — an identical folder already on the server is not sent again.
#pragma once

#include <string>

#include "cli/client.h"
#include "mlws/common/status.h"

namespace mlws::cli {

// Uploads `local_path` (file or folder) into workspace g.workspace and returns its URI:
// azureml://datastores/workspaceblobstore/paths/LocalUpload/<hash> for a folder, with
// "/<file name>" appended for a file. Shows a progress bar on stderr when it is a terminal.
StatusOr<std::string> UploadLocalPath(const Globals& g, const std::string& local_path);

}  // namespace mlws::cli
