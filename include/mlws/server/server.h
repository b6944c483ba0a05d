// The server's wiring: configuration, backend selection by URI, start and graceful stop.
#pragma once

#include <string>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::server {

struct Config {
  std::string host = "127.0.0.1";
  int port = 5000;
  // The URL other servers and users reach this one at, recorded in the database (several
  // servers on one database, docs/scale-out.md). Empty: <scheme>://<host>:<port>, with the
  // host's name (hostname or $MLWS_SERVER_HOST) for a wildcard --host.
  std::string advertise_url;
  std::string home;                   // default ~/.mlws
  std::string backend_store_uri;      // default sqlite:///<home>/mlws.db
  std::string artifacts_destination;  // default file://<home>/artifacts
  // Built job environments (virtualenvs); servers naming one folder build each once.
  std::string environments_dir;  // default <home>/envs
  std::string log_level = "info";
  // First start on a non-loopback address: the "admin" password is read from this file instead
  // of being generated and printed once.
  std::string admin_password_file;
  // PEM certificate chain and private key: serve HTTPS instead of HTTP.
  std::string tls_cert;
  std::string tls_key;
  // The studio's built files. Default: $MLWS_WEB_ROOT, else <exe dir>/web, else the source
  // tree's web/dist next to a build/<type>/mlws binary.
  std::string web_root;
  // Folders users may attach as local datastores (default: <home>/datastores).
  std::vector<std::string> local_datastore_roots;
  // Bytes each workspace may keep in the artifact store (artifacts, uploads, job outputs);
  // 0 = no limit.
  double workspace_storage_quota_gb = 0;
  // The HTTP front door (docs/server.md): deadlines in seconds, connection caps, threads.
  int header_timeout_s = 10;
  int idle_timeout_s = 60;
  int body_timeout_s = 30;
  std::size_t min_body_rate = 1024;  // bytes per second, after body_timeout_s
  int write_timeout_s = 30;
  int max_connections = 20000;
  int max_connections_per_address = 1024;
  int io_threads = 2;
  int worker_threads = 16;
  std::size_t worker_queue = 1024;
  // Writes that may wait for the store's writer before new ones get 503 (0 = unbounded).
  std::size_t store_write_queue = 256;
  // Origins besides the server's own that may send state-changing requests (a proxy's URL).
  std::vector<std::string> allowed_origins;
  // Jobs run in a bubblewrap sandbox (docs/security.md "Job sandbox"). Where it is unavailable
  // only server Owners may run jobs, unless this is set.
  bool allow_unsandboxed_jobs = false;
  // The user and group sandboxed jobs run as when the server runs as root.
  int job_uid = 65534;
  int job_gid = 65534;
  // --- S3 artifacts destination (s3://bucket/prefix; docs/scale-out.md) ---
  // Empty: $MLFLOW_S3_ENDPOINT_URL, else $AWS_ENDPOINT_URL, else AWS S3 for the region.
  std::string s3_endpoint_url;
  std::string s3_region;      // empty: $AWS_REGION / $AWS_DEFAULT_REGION, else us-east-1
  std::string s3_path_style;  // "true" / "false"; empty: path-style with a custom endpoint
  long s3_connect_timeout_ms = 5000;
};

// Fills the defaults that depend on `home`.
Config ResolveDefaults(Config c);

// Runs until SIGINT/SIGTERM; returns the exit status. Errors at start-up (bad URI, port in use)
// are printed and give a non-zero status.
int RunServer(const Config& config);

}  // namespace mlws::server
