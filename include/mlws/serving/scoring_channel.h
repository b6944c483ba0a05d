// ScoringChannel: the server's side of the local channel to one scoring instance, a Unix socket
// speaking length-prefixed frames (python/mlws_scoring/protocol.py):
//
//   request:  u32 length (big-endian) | kind ('R' run, 'P' ping) | u16 id length | id | body
//   response: u32 length (big-endian) | u16 HTTP status | body
//
// Connections are pooled: a call borrows an idle connection (or opens one), and returns it when
// the exchange completed; a connection that failed or timed out is closed (the instance may
// still be inside run(); its late answer must not reach the next caller).
//
// Thread-safe. Errors: Unavailable-like kTemporarilyUnavailable (cannot connect, instance gone),
// kRequestLimitExceeded never; a timeout is reported through ScoreReply::timed_out.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::serving {

struct ScoreReply {
  int status = 0;
  std::string body;
  bool timed_out = false;
};

class ScoringChannel {
 public:
  explicit ScoringChannel(std::string socket_path) : path_(std::move(socket_path)) {}
  ~ScoringChannel();
  ScoringChannel(const ScoringChannel&) = delete;
  ScoringChannel& operator=(const ScoringChannel&) = delete;

  // One exchange; `kind` is 'R' or 'P'. Waits at most `timeout_ms` for the answer.
  StatusOr<ScoreReply> Call(char kind, const std::string& request_id, const std::string& body,
                            int timeout_ms);
  // Closes the idle connections (the instance is being retired).
  void CloseIdle();
  const std::string& path() const { return path_; }

 private:
  StatusOr<int> Borrow(bool& reused);
  void Return(int fd);

  const std::string path_;
  std::mutex mu_;
  std::vector<int> idle_;  // guarded by mu_
};

}  // namespace mlws::serving
