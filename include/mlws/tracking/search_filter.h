// Parsers for the MLflow search `filter` and `order_by` strings.
//
// Contract
// --------
// * Every function here is pure: it reads only its argument, keeps no state, and is safe to call
//   from any number of threads at once.
// * Inputs are untrusted (they come straight from request bodies and query strings, up to about
//   1 MB). Parsing is a single left-to-right pass without recursion: time and memory are linear in
//   the input length, whatever the input. Nothing here aborts, throws, or asserts on bad input.
// * Every rejection is InvalidArgument (INVALID_PARAMETER_VALUE, HTTP 400) with a message that
//   names the problem, worded like MLflow's where MLflow has a message (e.g. "Invalid attribute
//   key 'foo' specified. Valid keys are '...'"). Any input echoed in a message is cut to a few
//   dozen characters and sanitised to valid UTF-8, so a message is always small and JSON-safe.
// * The parsers validate syntax *and* types: a Clause that comes back has an identifier that the
//   search API knows, a comparator that is valid for it, and a value of the right kind. Stores
//   can translate clauses without re-checking them.
//
// Grammar (MLflow 2.x mlflow/utils/search_utils.py, with the choices listed below)
// --------------------------------------------------------------------------------
//   filter     := { AND } [ clause { AND { AND } clause } ] { AND }
//                 i.e. clauses joined by AND (case-insensitive); stray ANDs are ignored, as in
//                 MLflow; no OR, no parentheses; a blank filter has no clauses
//   clause     := identifier comparator value
//   identifier := [ entity "." ] key
//   entity     := word | `word`                        e.g. metrics, params, tags, attributes
//   key        := word { "." word } | `text` | "text"  quote a key with spaces, dashes, ...
//   comparator := = | != | > | >= | < | <= | LIKE | ILIKE | IN | NOT IN   (case-insensitive)
//   value      := number | 'text' | "text" | ( 'text' { , 'text' } )    (list only after IN)
//   order_by   := identifier [ ASC | DESC ]            ASC by default, case-insensitive
// A word is a run of ASCII letters, digits, '_' and non-ASCII (UTF-8) bytes. Whitespace (space,
// tab, CR, LF, FF, VT) may appear between tokens. A number is `[+-]digits[.digits][e[+-]digits]`
// (also `.5` and `5.`); numbers too large for a double become +/-infinity, like Python float().
// Inside a quoted value or key, the quote character is written doubled ('it''s') or, for ' and ",
// backslash-escaped ('it\'s'); both are unescaped. Other backslashes are kept as written, so
// LIKE patterns pass through untouched.
//
// Deliberate differences from MLflow (which parses with sqlparse):
// * Stricter: clauses must be separated by AND (MLflow's sqlparse sometimes accepts two clauses
//   side by side); empty keys and `key."quoted"` mixes are rejected.
// * More lenient: numbers may carry a leading '+' and an exponent sign (1e+5); comparators are
//   case-insensitive for every search API (MLflow 2.17's SQL store rejects lower-case `like` for
//   experiments); order_by items may have trailing whitespace.
// * Escaped quotes are unescaped (MLflow keeps `''` verbatim in the value).
// * Values of integer-valued fields (start_time, end_time, creation_time, version_number, ...)
//   must be integral numbers (MLflow fails later, inside int(), on 1.5).
// * SearchExperiments and the registry also accept the `attributes.` and `attr.` prefixes (MLflow
//   only accepts `attribute.`); list values of IN keep mixed-case strings (MLflow drops any that
//   are not all lower case, meant for run ids).
// * Aliases (created, `run name`) apply to attributes only; MLflow also rewrites a metric, param
//   or tag named `created` to `start_time`, which is a bug.
// * Registered-model order_by also takes creation_timestamp and the `attribute.` prefix (MLflow
//   2.17's SQL store takes only name, timestamp and last_updated_timestamp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mlws/common/status.h"

namespace mlws::tracking {

enum class EntityType { kMetric, kParam, kTag, kAttribute, kDataset };

enum class Comparator { kEq, kNe, kGt, kGe, kLt, kLe, kLike, kILike, kIn, kNotIn };

// One `identifier comparator value` term of a filter. Clauses of a filter are AND-ed.
struct Clause {
  EntityType type = EntityType::kAttribute;
  // kMetric/kParam/kTag: the key with quoting removed. kAttribute: the canonical attribute name
  // (aliases resolved: created -> start_time, `run name` -> run_name). kDataset: name, digest or
  // context.
  std::string key;
  Comparator op = Comparator::kEq;
  // The value is `number` when true; otherwise `text`, or `list` when op is kIn or kNotIn (the
  // list is never empty). For numbers, `text` keeps the literal as written, e.g. "1e3", so a
  // store can re-parse a 64-bit integer exactly. Metric numbers may be +/-inf; for integer-valued
  // attributes (start_time, end_time, creation_time, last_update_time, version_number) `number`
  // is finite, integral and below 9.2e18 in magnitude, so casting it to int64_t is safe.
  bool is_numeric = false;
  double number = 0;
  std::string text;
  std::vector<std::string> list;
};

// One `order_by` item. For kAttribute the key is canonical (created -> start_time; for registered
// models the legacy `timestamp` -> last_updated_timestamp).
struct OrderBy {
  EntityType type = EntityType::kAttribute;
  std::string key;
  bool ascending = true;
};

// SearchRuns filter. Identifiers: metrics./metric., params./param./parameters./parameter.,
// tags./tag., attributes./attribute./attr./run., datasets./dataset.; an identifier without a
// prefix is an attribute. Attributes: artifact_uri, end_time, run_id, run_name (alias `run name`,
// `Run name`, `Run Name`), start_time (alias created, Created), status, user_id. Metrics and
// start_time/end_time take = != > >= < <= and a number; params, tags and the string attributes
// take = != LIKE ILIKE and a quoted string; run_id also takes IN / NOT IN; datasets (name, digest,
// context) take = != LIKE ILIKE IN NOT IN.
StatusOr<std::vector<Clause>> ParseRunFilter(std::string_view filter);
// SearchRuns takes at most this many comparisons (each metric comparison is a join in the
// store's query; SQLite allows 64 tables in one).
inline constexpr size_t kMaxRunFilterClauses = 40;

// One SearchRuns order_by item: metrics/params/tags keys, or the attributes artifact_uri,
// end_time, run_id, run_name, start_time (alias created), status, user_id.
StatusOr<OrderBy> ParseRunOrderBy(std::string_view order_by);
// A SearchRuns request orders by at most this many keys.
inline constexpr size_t kMaxRunOrderBy = 10;

// SearchExperiments filter: attributes name (= != LIKE ILIKE), creation_time and
// last_update_time (numeric comparators), and tags.<key> (= != LIKE ILIKE).
StatusOr<std::vector<Clause>> ParseExperimentFilter(std::string_view filter);

// One SearchExperiments order_by item: name, experiment_id, creation_time, last_update_time.
StatusOr<OrderBy> ParseExperimentOrderBy(std::string_view order_by);

// SearchRegisteredModels filter: attribute name (= != LIKE ILIKE) and tags.<key>.
StatusOr<std::vector<Clause>> ParseRegisteredModelFilter(std::string_view filter);

// SearchModelVersions filter: name, source_path (= != LIKE ILIKE), run_id (also IN),
// version_number (numeric comparators) and tags.<key> (= != LIKE ILIKE).
StatusOr<std::vector<Clause>> ParseModelVersionFilter(std::string_view filter);

// One SearchRegisteredModels (model_versions = false) or SearchModelVersions order_by item:
// name, creation_timestamp, last_updated_timestamp, and version_number for model versions;
// registered models also accept the legacy `timestamp` (= last_updated_timestamp).
StatusOr<OrderBy> ParseRegistryOrderBy(std::string_view order_by, bool model_versions);

// SearchLoggedModels (MLflow 3) filter: attributes name, model_id, model_type, status,
// source_run_id (= != LIKE ILIKE; ids also IN), creation_timestamp / creation_time and
// last_updated_timestamp / last_updated_time (numeric); metrics.<key> (numeric), params.<key>
// and tags.<key> (= != LIKE ILIKE).
StatusOr<std::vector<Clause>> ParseLoggedModelFilter(std::string_view filter);
// One SearchLoggedModels order_by field_name: the attributes above or metrics/params/tags keys.
StatusOr<OrderBy> ParseLoggedModelOrderBy(std::string_view field_name);

// SearchTraces v3 (MLflow 3) filter. Clause types: kAttribute for trace.<attr> (state, alias
// status; name; run_id; trace_id, alias request_id; client_request_id; request_preview and
// response_preview; timestamp_ms, aliases timestamp / request_time; execution_time_ms, aliases
// execution_time / execution_duration), kTag for tag.<key>, kParam for metadata.<key> (the
// trace's request metadata), kDataset for span.<field> (name, type, status). String fields take
// = != LIKE ILIKE (most also IN / NOT IN), times take numeric comparators.
StatusOr<std::vector<Clause>> ParseTraceV3Filter(std::string_view filter);
// One SearchTraces v3 order_by item: the trace attributes above.
StatusOr<OrderBy> ParseTraceV3OrderBy(std::string_view order_by);

// SearchEvaluationDatasets (MLflow 3 GenAI) filter: name, created_by, last_updated_by
// (= != LIKE ILIKE), created_time, last_update_time (numeric), tags.<key>; order_by: the same
// attributes.
StatusOr<std::vector<Clause>> ParseEvalDatasetFilter(std::string_view filter);
StatusOr<OrderBy> ParseEvalDatasetOrderBy(std::string_view order_by);

// Spellings for messages and logs: "=", "NOT IN", ...; "metric", "parameter", "tag", "attribute",
// "dataset" (MLflow's canonical entity type names).
std::string_view ComparatorName(Comparator op);
std::string_view EntityTypeName(EntityType type);

}  // namespace mlws::tracking
