// Uploads of local files and folders for specs (asset paths, job code): content-hashed, packed
// as tar+zstd and sent once — an identical folder already on the server is not sent again.
#pragma once

#include <string>

#include "cli/client.h"
#include "cli/spec_file.h"
#include "mlws/common/status.h"

namespace mlws::cli {

// Uploads `local_path` (file or folder) into workspace g.workspace and returns its URI:
// azureml://datastores/workspaceblobstore/paths/LocalUpload/<hash> for a folder, with
// "/<file name>" appended for a file. Shows a progress bar on stderr when it is a terminal.
StatusOr<std::string> UploadLocalPath(const Globals& g, const std::string& local_path);

// The value `p` of spec field `field`: a local path (relative to the spec's folder) is uploaded
// and its URI returned; anything else (a URI, an azureml: reference) is returned as it is.
// Errors name the field and where the file was looked for.
StatusOr<std::string> UploadSpecPath(const Globals& g, const SpecFile& f, const std::string& field,
                                     const std::string& p);

}  // namespace mlws::cli
