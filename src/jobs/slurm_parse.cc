// Parsing Slurm's tool output (see slurm_parse.h).
#include "jobs/slurm_parse.h"

#include <fmt/format.h>
#include <time.h>

#include <charconv>

#include "mlws/common/strings.h"

namespace mlws::jobs {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

template <typename T>
bool ToNumber(std::string_view s, T& out) {
  s = Trim(s);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// "3:0" (exit code : signal).
void ParseExitCode(std::string_view s, SlurmJobState& j) {
  auto parts = SplitKeepEmpty(Trim(s), ':');
  if (parts.size() != 2) return;
  int code = 0, sig = 0;
  if (ToNumber(parts[0], code) && ToNumber(parts[1], sig)) {
    j.exit_code = code;
    j.signal = sig;
  }
}

// The first word: "CANCELLED by 0" -> "CANCELLED".
std::string StateWord(std::string_view s) {
  s = Trim(s);
  return std::string(s.substr(0, s.find(' ')));
}

// Lines of `n` '|'-separated fields starting "<job id>|<state>|"; `rest` reads the others.
// With `open_last`, the last field may itself hold '|' (a free-text reason). Lines of another
// shape, and ids that are not a job or an array task ("12_[4-9]", "12+0"), are skipped.
template <typename Fn>
std::vector<SlurmJobState> ParsePipeLines(std::string_view out, size_t n, bool open_last, Fn rest) {
  std::vector<SlurmJobState> jobs;
  for (std::string_view line : SplitKeepEmpty(out, '\n')) {
    auto f = SplitKeepEmpty(Trim(line), '|');
    if (f.size() != n && !(open_last && f.size() > n)) continue;
    if (f.size() > n) {  // re-join the open last field
      std::string_view t = Trim(line);
      size_t pos = 0;
      for (size_t k = 0; k + 1 < n; ++k) pos = t.find('|', pos) + 1;
      f.resize(n);
      f[n - 1] = t.substr(pos);
    }
    SlurmJobState j;
    if (!ParseSlurmJobId(f[0], j.id, j.array_task)) continue;
    j.state = StateWord(f[1]);
    rest(f, j);
    jobs.push_back(std::move(j));
  }
  return jobs;
}

}  // namespace

bool ParseSlurmJobId(std::string_view s, std::int64_t& id, int& array_task) {
  s = Trim(s);
  size_t us = s.find('_');
  array_task = -1;
  if (us == std::string_view::npos) return ToNumber(s, id) && id > 0;
  int task = -1;
  if (!ToNumber(s.substr(0, us), id) || id <= 0 || !ToNumber(s.substr(us + 1), task) || task < 0) {
    return false;
  }
  array_task = task;
  return true;
}

std::string SlurmJobKey(std::int64_t id, int array_task) {
  return array_task < 0 ? std::to_string(id) : fmt::format("{}_{}", id, array_task);
}

std::int64_t ParseSlurmTime(std::string_view s) {
  s = Trim(s);
  struct tm tm {};
  std::string str(s);
  const char* end = strptime(str.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr || *end != '\0') return 0;
  tm.tm_isdst = -1;
  time_t t = mktime(&tm);
  if (t == static_cast<time_t>(-1)) return 0;
  return static_cast<std::int64_t>(t) * 1000;
}

bool SlurmStateEnded(std::string_view state) {
  std::string w = StateWord(state);
  for (std::string_view s : {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL",
                             "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "PREEMPTED"}) {
    if (w == s) return true;
  }
  return false;
}

std::vector<SlurmJobState> ParseSqueue(std::string_view out) {
  return ParsePipeLines(out, 6, true, [](const auto& f, SlurmJobState& j) {
    j.start_ms = ParseSlurmTime(f[2]);
    j.end_ms = ParseSlurmTime(f[3]);
    if (!ToNumber(f[4], j.nodes)) j.nodes = 0;
    std::string_view r = Trim(f[5]);
    if (r != "None") j.reason = std::string(r);
  });
}

std::vector<SlurmJobState> ParseScontrolJobs(std::string_view out) {
  std::vector<SlurmJobState> jobs;
  for (std::string_view line : SplitKeepEmpty(out, '\n')) {
    SlurmJobState j;
    std::int64_t array_id = 0;
    std::string_view array_task;
    for (std::string_view word : SplitKeepEmpty(Trim(line), ' ')) {
      size_t eq = word.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view k = word.substr(0, eq), v = word.substr(eq + 1);
      if (k == "JobId") {
        if (!ToNumber(v, j.id)) j.id = 0;
      } else if (k == "JobState") {
        j.state = std::string(v);
      } else if (k == "ArrayJobId") {
        if (!ToNumber(v, array_id)) array_id = 0;
      } else if (k == "ArrayTaskId") {
        array_task = v;
      } else if (k == "Reason") {
        if (v != "None") j.reason = std::string(v);
        for (char& c : j.reason) c = c == '_' ? ' ' : c;  // scontrol's words are joined by '_'
      } else if (k == "ExitCode") {
        ParseExitCode(v, j);
      } else if (k == "StartTime") {
        j.start_ms = ParseSlurmTime(v);
      } else if (k == "EndTime") {
        j.end_ms = ParseSlurmTime(v);
      } else if (k == "NumNodes") {
        // "1" or a range "1-2" while pending: the first number.
        if (!ToNumber(v.substr(0, v.find('-')), j.nodes)) j.nodes = 0;
      }
    }
    if (array_id > 0) {
      // A task of an array: known by the array's id and its index. The record of an array's
      // tasks not yet started ("ArrayTaskId=4-9") is skipped: squeue -r lists them one by one.
      if (!ToNumber(array_task, j.array_task) || j.array_task < 0) continue;
      j.id = array_id;
    }
    if (j.id > 0 && !j.state.empty()) jobs.push_back(std::move(j));
  }
  return jobs;
}

std::vector<SlurmJobState> ParseSacct(std::string_view out) {
  return ParsePipeLines(out, 6, false, [](const auto& f, SlurmJobState& j) {
    ParseExitCode(f[2], j);
    j.start_ms = ParseSlurmTime(f[3]);
    j.end_ms = ParseSlurmTime(f[4]);
    if (!ToNumber(f[5], j.nodes)) j.nodes = 0;
  });
}

std::string SlurmTimeLimit(std::int64_t seconds) {
  return fmt::format("{}:{:02}", seconds / 60, seconds % 60);
}

std::int64_t ParseSlurmDuration(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return -1;
  std::int64_t days = 0;
  bool has_days = false;
  size_t dash = s.find('-');
  if (dash != std::string_view::npos) {
    if (!ToNumber(s.substr(0, dash), days) || days < 0) return -1;
    has_days = true;
    s = s.substr(dash + 1);
  }
  auto parts = SplitKeepEmpty(s, ':');
  if (parts.size() > 3) return -1;
  std::vector<std::int64_t> v;
  for (auto p : parts) {
    std::int64_t n = 0;
    if (p.empty() || !ToNumber(p, n) || n < 0) return -1;
    v.push_back(n);
  }
  std::int64_t secs = 0;
  if (has_days) {  // D-H, D-H:M, D-H:M:S
    secs = v[0] * 3600 + (v.size() > 1 ? v[1] * 60 : 0) + (v.size() > 2 ? v[2] : 0);
  } else if (v.size() == 1) {  // M
    secs = v[0] * 60;
  } else if (v.size() == 2) {  // M:S
    secs = v[0] * 60 + v[1];
  } else {  // H:M:S
    secs = v[0] * 3600 + v[1] * 60 + v[2];
  }
  return days * 86400 + secs;
}

}  // namespace mlws::jobs
