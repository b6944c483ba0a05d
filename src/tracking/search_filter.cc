// Grammar rules of the search filter / order_by parsers: which identifiers, comparators and value
// kinds each search API accepts. Lexing is in search_filter_scanner.cc.
#include "mlws/tracking/search_filter.h"

#include <cmath>
#include <span>
#include <utility>

#include "search_filter_scanner.h"

namespace mlws::tracking {

using search_filter_internal::Excerpt;
using search_filter_internal::Identifier;
using search_filter_internal::Scanner;
using search_filter_internal::Value;
using search_filter_internal::ValueKind;

namespace {

using OpMask = unsigned;

constexpr OpMask Bit(Comparator op) { return 1u << static_cast<unsigned>(op); }

constexpr OpMask kNumericOps = Bit(Comparator::kEq) | Bit(Comparator::kNe) | Bit(Comparator::kGt) |
                               Bit(Comparator::kGe) | Bit(Comparator::kLt) | Bit(Comparator::kLe);
constexpr OpMask kStringOps =
    Bit(Comparator::kEq) | Bit(Comparator::kNe) | Bit(Comparator::kLike) | Bit(Comparator::kILike);
constexpr OpMask kListOps = Bit(Comparator::kIn) | Bit(Comparator::kNotIn);

enum class FieldKind { kNumber, kInteger, kString };

// A filterable or orderable field. `name` is what the user writes, `canonical` what a Clause
// carries (they differ for aliases such as created -> start_time).
struct Field {
  std::string_view name;
  std::string_view canonical;
  FieldKind kind;
  OpMask ops;
};

struct Prefix {
  std::string_view word;
  EntityType type;
};

// What one search API accepts in a filter or an order_by item.
struct Dialect {
  std::span<const Prefix> prefixes;
  std::string_view valid_prefixes;  // for the "Invalid entity type" message
  std::span<const Field> attributes;
  std::span<const Field> datasets;  // empty: no datasets.<field>
  bool order_by_metric_param_tag;   // order_by only: may sort by metrics/params/tags
};

// ---- SearchRuns ----------------------------------------------------------------------------

constexpr Prefix kRunPrefixes[] = {
    {"metric", EntityType::kMetric},
    {"metrics", EntityType::kMetric},
    {"parameter", EntityType::kParam},
    {"parameters", EntityType::kParam},
    {"param", EntityType::kParam},
    {"params", EntityType::kParam},
    {"tag", EntityType::kTag},
    {"tags", EntityType::kTag},
    {"attribute", EntityType::kAttribute},
    {"attributes", EntityType::kAttribute},
    {"attr", EntityType::kAttribute},
    {"run", EntityType::kAttribute},
    {"dataset", EntityType::kDataset},
    {"datasets", EntityType::kDataset},
};
constexpr std::string_view kRunPrefixNames =
    "['metric', 'parameter', 'tag', 'attribute', 'dataset'] (or metrics, params, parameters, "
    "tags, attributes, attr, run, datasets)";

constexpr Field kRunAttributes[] = {
    {"artifact_uri", "artifact_uri", FieldKind::kString, kStringOps},
    {"end_time", "end_time", FieldKind::kInteger, kNumericOps},
    {"run_id", "run_id", FieldKind::kString, kStringOps | kListOps},
    {"run_name", "run_name", FieldKind::kString, kStringOps},
    {"start_time", "start_time", FieldKind::kInteger, kNumericOps},
    {"status", "status", FieldKind::kString, kStringOps},
    {"user_id", "user_id", FieldKind::kString, kStringOps},
    {"created", "start_time", FieldKind::kInteger, kNumericOps},
    {"Created", "start_time", FieldKind::kInteger, kNumericOps},
    {"run name", "run_name", FieldKind::kString, kStringOps},
    {"Run name", "run_name", FieldKind::kString, kStringOps},
    {"Run Name", "run_name", FieldKind::kString, kStringOps},
};
constexpr Field kRunDatasetFields[] = {
    {"name", "name", FieldKind::kString, kStringOps | kListOps},
    {"digest", "digest", FieldKind::kString, kStringOps | kListOps},
    {"context", "context", FieldKind::kString, kStringOps | kListOps},
};
// For order_by only names and canonical names matter.
constexpr Field kRunOrderAttributes[] = {
    {"artifact_uri", "artifact_uri", FieldKind::kString, 0},
    {"end_time", "end_time", FieldKind::kInteger, 0},
    {"run_id", "run_id", FieldKind::kString, 0},
    {"run_name", "run_name", FieldKind::kString, 0},
    {"start_time", "start_time", FieldKind::kInteger, 0},
    {"status", "status", FieldKind::kString, 0},
    {"user_id", "user_id", FieldKind::kString, 0},
    {"created", "start_time", FieldKind::kInteger, 0},
    {"Created", "start_time", FieldKind::kInteger, 0},
};

constexpr Dialect kRunFilter{kRunPrefixes, kRunPrefixNames, kRunAttributes, kRunDatasetFields,
                             false};
constexpr Dialect kRunOrderBy{kRunPrefixes, kRunPrefixNames, kRunOrderAttributes, {}, true};

// ---- SearchExperiments and the model registry: attributes and tags only --------------------

constexpr Prefix kAttributeTagPrefixes[] = {
    {"attribute", EntityType::kAttribute},
    {"attributes", EntityType::kAttribute},
    {"attr", EntityType::kAttribute},
    {"tag", EntityType::kTag},
    {"tags", EntityType::kTag},
};
constexpr std::string_view kAttributeTagPrefixNames =
    "('attribute', 'tag', 'tags') (or attributes, attr)";

constexpr Field kExperimentAttributes[] = {
    {"name", "name", FieldKind::kString, kStringOps},
    {"creation_time", "creation_time", FieldKind::kInteger, kNumericOps},
    {"last_update_time", "last_update_time", FieldKind::kInteger, kNumericOps},
};
constexpr Field kExperimentOrderAttributes[] = {
    {"name", "name", FieldKind::kString, 0},
    {"experiment_id", "experiment_id", FieldKind::kString, 0},
    {"creation_time", "creation_time", FieldKind::kInteger, 0},
    {"last_update_time", "last_update_time", FieldKind::kInteger, 0},
};

constexpr Field kRegisteredModelAttributes[] = {
    {"name", "name", FieldKind::kString, kStringOps},
};
constexpr Field kModelVersionAttributes[] = {
    {"name", "name", FieldKind::kString, kStringOps},
    {"run_id", "run_id", FieldKind::kString, kStringOps | Bit(Comparator::kIn)},
    {"source_path", "source_path", FieldKind::kString, kStringOps},
    {"version_number", "version_number", FieldKind::kInteger, kNumericOps},
};
constexpr Field kRegisteredModelOrderAttributes[] = {
    {"name", "name", FieldKind::kString, 0},
    {"creation_timestamp", "creation_timestamp", FieldKind::kInteger, 0},
    {"last_updated_timestamp", "last_updated_timestamp", FieldKind::kInteger, 0},
    {"timestamp", "last_updated_timestamp", FieldKind::kInteger, 0},  // legacy MLflow key
};
constexpr Field kModelVersionOrderAttributes[] = {
    {"name", "name", FieldKind::kString, 0},
    {"version_number", "version_number", FieldKind::kInteger, 0},
    {"creation_timestamp", "creation_timestamp", FieldKind::kInteger, 0},
    {"last_updated_timestamp", "last_updated_timestamp", FieldKind::kInteger, 0},
};

constexpr Dialect kExperimentFilter{
    kAttributeTagPrefixes, kAttributeTagPrefixNames, kExperimentAttributes, {}, false};
constexpr Dialect kExperimentOrderBy{
    kAttributeTagPrefixes, kAttributeTagPrefixNames, kExperimentOrderAttributes, {}, false};
constexpr Dialect kRegisteredModelFilter{
    kAttributeTagPrefixes, kAttributeTagPrefixNames, kRegisteredModelAttributes, {}, false};
constexpr Dialect kModelVersionFilter{
    kAttributeTagPrefixes, kAttributeTagPrefixNames, kModelVersionAttributes, {}, false};
constexpr Dialect kRegisteredModelOrderBy{
    kAttributeTagPrefixes, kAttributeTagPrefixNames, kRegisteredModelOrderAttributes, {}, false};
constexpr Dialect kModelVersionOrderBy{
    kAttributeTagPrefixes, kAttributeTagPrefixNames, kModelVersionOrderAttributes, {}, false};

// ---- SearchLoggedModels (MLflow 3): attributes, metrics, params, tags ----------------------

constexpr Prefix kLoggedModelPrefixes[] = {
    {"metric", EntityType::kMetric},
    {"metrics", EntityType::kMetric},
    {"param", EntityType::kParam},
    {"params", EntityType::kParam},
    {"parameter", EntityType::kParam},
    {"parameters", EntityType::kParam},
    {"tag", EntityType::kTag},
    {"tags", EntityType::kTag},
    {"attribute", EntityType::kAttribute},
    {"attributes", EntityType::kAttribute},
    {"attr", EntityType::kAttribute},
};
constexpr std::string_view kLoggedModelPrefixNames =
    "['metric', 'parameter', 'tag', 'attribute'] (or metrics, params, parameters, tags, "
    "attributes, attr)";
constexpr Field kLoggedModelAttributes[] = {
    {"name", "name", FieldKind::kString, kStringOps},
    {"model_id", "model_id", FieldKind::kString, kStringOps | kListOps},
    {"model_type", "model_type", FieldKind::kString, kStringOps},
    {"status", "status", FieldKind::kString, kStringOps},
    {"source_run_id", "source_run_id", FieldKind::kString, kStringOps | kListOps},
    {"creation_timestamp", "creation_timestamp", FieldKind::kInteger, kNumericOps},
    {"creation_time", "creation_timestamp", FieldKind::kInteger, kNumericOps},
    {"last_updated_timestamp", "last_updated_timestamp", FieldKind::kInteger, kNumericOps},
    {"last_updated_time", "last_updated_timestamp", FieldKind::kInteger, kNumericOps},
};
constexpr Dialect kLoggedModelFilter{
    kLoggedModelPrefixes, kLoggedModelPrefixNames, kLoggedModelAttributes, {}, false};
constexpr Dialect kLoggedModelOrderBy{
    kLoggedModelPrefixes, kLoggedModelPrefixNames, kLoggedModelAttributes, {}, true};

// ---- SearchTraces v3 (MLflow 3): trace attributes, tags, metadata, spans ------------------
// Entity types carry: kAttribute = trace.<attr>, kTag = tag.<key>, kParam = metadata.<key>
// (request metadata), kDataset = span.<field> (see ParseTraceV3Filter).

constexpr Prefix kTraceV3Prefixes[] = {
    {"trace", EntityType::kAttribute},
    {"attribute", EntityType::kAttribute},
    {"attributes", EntityType::kAttribute},
    {"attr", EntityType::kAttribute},
    {"tag", EntityType::kTag},
    {"tags", EntityType::kTag},
    {"metadata", EntityType::kParam},
    {"request_metadata", EntityType::kParam},
    {"span", EntityType::kDataset},
};
constexpr std::string_view kTraceV3PrefixNames =
    "['trace', 'tag', 'metadata', 'span'] (or attribute, attributes, attr, tags, "
    "request_metadata)";
constexpr Field kTraceV3Attributes[] = {
    {"status", "state", FieldKind::kString, kStringOps | kListOps},
    {"state", "state", FieldKind::kString, kStringOps | kListOps},
    {"name", "name", FieldKind::kString, kStringOps | kListOps},
    {"run_id", "run_id", FieldKind::kString, kStringOps | kListOps},
    {"trace_id", "trace_id", FieldKind::kString, kStringOps | kListOps},
    {"request_id", "trace_id", FieldKind::kString, kStringOps | kListOps},
    {"client_request_id", "client_request_id", FieldKind::kString, kStringOps | kListOps},
    {"request_preview", "request_preview", FieldKind::kString, kStringOps},
    {"response_preview", "response_preview", FieldKind::kString, kStringOps},
    {"timestamp_ms", "timestamp_ms", FieldKind::kInteger, kNumericOps},
    {"timestamp", "timestamp_ms", FieldKind::kInteger, kNumericOps},
    {"request_time", "timestamp_ms", FieldKind::kInteger, kNumericOps},
    {"execution_time_ms", "execution_time_ms", FieldKind::kInteger, kNumericOps},
    {"execution_time", "execution_time_ms", FieldKind::kInteger, kNumericOps},
    {"execution_duration", "execution_time_ms", FieldKind::kInteger, kNumericOps},
};
constexpr Field kTraceV3SpanFields[] = {
    {"name", "name", FieldKind::kString, kStringOps | kListOps},
    {"type", "type", FieldKind::kString, kStringOps | kListOps},
    {"status", "status", FieldKind::kString, kStringOps | kListOps},
};
constexpr Dialect kTraceV3Filter{kTraceV3Prefixes, kTraceV3PrefixNames, kTraceV3Attributes,
                                 kTraceV3SpanFields, false};
constexpr Dialect kTraceV3OrderBy{
    kTraceV3Prefixes, kTraceV3PrefixNames, kTraceV3Attributes, {}, false};

// ---- SearchEvaluationDatasets (MLflow 3 GenAI) ---------------------------------------------

constexpr Field kEvalDatasetAttributes[] = {
    {"name", "name", FieldKind::kString, kStringOps},
    {"created_by", "created_by", FieldKind::kString, kStringOps},
    {"last_updated_by", "last_updated_by", FieldKind::kString, kStringOps},
    {"created_time", "created_time", FieldKind::kInteger, kNumericOps},
    {"last_update_time", "last_update_time", FieldKind::kInteger, kNumericOps},
};
constexpr Dialect kEvalDatasetFilter{
    kAttributeTagPrefixes, kAttributeTagPrefixNames, kEvalDatasetAttributes, {}, false};
constexpr Dialect kEvalDatasetOrderBy{
    kAttributeTagPrefixes, kAttributeTagPrefixNames, kEvalDatasetAttributes, {}, false};

// ---- Resolution and type checks ------------------------------------------------------------

// Built by appending: `"'" + std::string&&` trips a GCC 12 -Wrestrict false positive.
std::string Quote(std::string_view text) {
  std::string out = "'";
  out += Excerpt(text);
  out += '\'';
  return out;
}

std::string FieldNames(std::span<const Field> fields) {
  std::string out;
  for (const Field& f : fields) {
    if (!out.empty()) out += ", ";
    out += f.name;
  }
  return out;
}

std::string OpNames(OpMask ops) {
  std::string out;
  for (unsigned i = 0; i <= static_cast<unsigned>(Comparator::kNotIn); ++i) {
    const auto op = static_cast<Comparator>(i);
    if ((ops & Bit(op)) == 0) continue;
    if (!out.empty()) out += ", ";
    out += ComparatorName(op);
  }
  return out;
}

StatusOr<EntityType> ResolveEntityType(const Identifier& id, const Dialect& dialect) {
  if (!id.has_prefix) return EntityType::kAttribute;
  for (const Prefix& p : dialect.prefixes) {
    if (p.word == id.prefix) return p.type;
  }
  return InvalidArgument("Invalid entity type " + Quote(id.prefix) + ". Valid values are " +
                         std::string(dialect.valid_prefixes));
}

// The field that `id` names, given its entity type. Metrics, params and tags accept any key.
StatusOr<Field> ResolveField(const Identifier& id, EntityType type, const Dialect& dialect) {
  switch (type) {
    case EntityType::kMetric: return Field{id.key, id.key, FieldKind::kNumber, kNumericOps};
    case EntityType::kParam:
    case EntityType::kTag: return Field{id.key, id.key, FieldKind::kString, kStringOps};
    case EntityType::kAttribute:
      for (const Field& f : dialect.attributes) {
        if (f.name == id.key) return f;
      }
      return InvalidArgument("Invalid attribute key " + Quote(id.key) +
                             " specified. Valid keys are '" + FieldNames(dialect.attributes) + "'");
    case EntityType::kDataset:
      for (const Field& f : dialect.datasets) {
        if (f.name == id.key) return f;
      }
      return InvalidArgument("Invalid dataset key " + Quote(id.key) +
                             " specified. Valid keys are '" + FieldNames(dialect.datasets) + "'");
  }
  return Internal("unreachable entity type");
}

bool IsListOp(Comparator op) { return op == Comparator::kIn || op == Comparator::kNotIn; }

// Checks that `op` and `value` suit `field` and builds the clause.
StatusOr<Clause> MakeClause(EntityType type, const Field& field, Comparator op, Value value) {
  const std::string what = std::string(EntityTypeName(type)) + " " + Quote(field.name);
  if ((field.ops & Bit(op)) == 0) {
    return InvalidArgument("Invalid comparator '" + std::string(ComparatorName(op)) + "' for " +
                           what + ". Valid comparators are: " + OpNames(field.ops));
  }
  if (IsListOp(op) && value.kind != ValueKind::kList) {
    return InvalidArgument("Comparator '" + std::string(ComparatorName(op)) + "' for " + what +
                           " expects a list of quoted strings such as ('a', 'b'). Got value " +
                           Quote(value.raw));
  }
  if (!IsListOp(op) && value.kind == ValueKind::kList) {
    return InvalidArgument("A list value can only be compared with IN or NOT IN, not with '" +
                           std::string(ComparatorName(op)) + "' (" + what + ")");
  }

  Clause clause;
  clause.type = type;
  clause.key = std::string(field.canonical);
  clause.op = op;
  if (field.kind == FieldKind::kNumber || field.kind == FieldKind::kInteger) {
    if (value.kind != ValueKind::kNumber) {
      if (type == EntityType::kMetric) {
        return InvalidArgument("Expected numeric value type for metric. Found " + Quote(value.raw));
      }
      return InvalidArgument("Expected numeric value type for numeric attribute: " +
                             std::string(field.name) + ". Found " + Quote(value.raw));
    }
    if (field.kind == FieldKind::kInteger &&
        !(std::isfinite(value.number) && std::trunc(value.number) == value.number &&
          std::fabs(value.number) < 9.2e18)) {
      return InvalidArgument("Expected an integer value for numeric attribute: " +
                             std::string(field.name) + ". Found " + Quote(value.raw));
    }
    clause.is_numeric = true;
    clause.number = value.number;
    clause.text = std::move(value.text);
    return clause;
  }
  switch (value.kind) {
    case ValueKind::kString: clause.text = std::move(value.text); return clause;
    case ValueKind::kList: clause.list = std::move(value.list); return clause;
    case ValueKind::kNumber:
      return InvalidArgument("Expected a quoted string value for " + what +
                             " (e.g. 'my-value'). Got value " + Quote(value.raw));
    case ValueKind::kBareWord:
      return InvalidArgument("Value is either not quoted or unidentified quote types used for " +
                             what + ": " + Quote(value.raw) +
                             ". Use either single or double quotes.");
  }
  return Internal("unreachable value kind");
}

// Errors from the scanner are lower-case fragments; give them the filter as context.
Status FilterSyntaxError(std::string_view filter, const Status& detail) {
  return InvalidArgument("Error on parsing filter " + Quote(filter) + ": " + detail.message());
}

// Called after a clause when neither AND nor the end of the input follows.
Status JoinError(Scanner& scanner) {
  std::string message = "Invalid clause(s) in filter string: " + Quote(scanner.Rest()) + ". ";
  const char c = scanner.Rest().front();
  if (scanner.PeekKeyword("OR")) {
    message += "OR is not supported; clauses can only be joined with AND.";
  } else if (c == '(' || c == ')') {
    message += "Parentheses are not supported; clauses can only be joined with AND.";
  } else if (c == ';') {
    message += "Search filter contained multiple expressions; provide an AND-ed expression list.";
  } else {
    message += "Expected AND or the end of the filter.";
  }
  return InvalidArgument(std::move(message));
}

// Skips whitespace and any number of AND keywords; true if there was at least one AND. MLflow
// ignores stray ANDs (leading, trailing, doubled), so they are accepted here too.
bool SkipAnds(Scanner& scanner) {
  bool saw_and = false;
  scanner.SkipSpace();
  while (scanner.ConsumeKeyword("AND")) {
    saw_and = true;
    scanner.SkipSpace();
  }
  return saw_and;
}

StatusOr<std::vector<Clause>> ParseFilter(std::string_view filter, const Dialect& dialect) {
  std::vector<Clause> clauses;
  Scanner scanner(filter);
  while (true) {
    const bool saw_and = SkipAnds(scanner);
    if (scanner.AtEnd()) return clauses;
    if (!clauses.empty() && !saw_and) return JoinError(scanner);

    StatusOr<Identifier> id = scanner.ReadIdentifier();
    if (!id.ok()) return FilterSyntaxError(filter, id.status());
    ASSIGN_OR_RETURN(EntityType type, ResolveEntityType(*id, dialect));
    ASSIGN_OR_RETURN(Field field, ResolveField(*id, type, dialect));
    StatusOr<Comparator> op = scanner.ReadComparator();
    if (!op.ok()) return FilterSyntaxError(filter, op.status());
    StatusOr<Value> value = scanner.ReadValue();
    if (!value.ok()) return FilterSyntaxError(filter, value.status());
    ASSIGN_OR_RETURN(Clause clause, MakeClause(type, field, *op, std::move(value).value()));
    clauses.push_back(std::move(clause));
  }
}

StatusOr<OrderBy> ParseOrderByItem(std::string_view text, const Dialect& dialect) {
  const auto unparsable = [&](std::string_view detail) {
    return InvalidArgument("Invalid order_by clause " + Quote(text) + ". Could not be parsed" +
                           (detail.empty() ? "." : ": " + std::string(detail)));
  };
  Scanner scanner(text);
  scanner.SkipSpace();
  if (scanner.AtEnd()) return unparsable("");
  StatusOr<Identifier> id = scanner.ReadIdentifier();
  if (!id.ok()) return unparsable(id.status().message());

  OrderBy order;
  scanner.SkipSpace();
  if (!scanner.AtEnd()) {
    if (scanner.ConsumeKeyword("DESC")) {
      order.ascending = false;
    } else if (!scanner.ConsumeKeyword("ASC")) {
      if (search_filter_internal::IsWordByte(scanner.Rest().front())) {
        return InvalidArgument("Invalid ordering key in order_by clause " + Quote(text) +
                               ". Expected ASC or DESC.");
      }
      return unparsable("");
    }
    scanner.SkipSpace();
    if (!scanner.AtEnd()) return unparsable("");
  }

  ASSIGN_OR_RETURN(order.type, ResolveEntityType(*id, dialect));
  switch (order.type) {
    case EntityType::kAttribute: break;
    case EntityType::kMetric:
    case EntityType::kParam:
    case EntityType::kTag:
      if (dialect.order_by_metric_param_tag) break;
      [[fallthrough]];
    case EntityType::kDataset:
      return InvalidArgument(
          "Invalid order_by entity: " + std::string(EntityTypeName(order.type)) +
          ". Only attributes can be used in order_by here: " + FieldNames(dialect.attributes));
  }
  ASSIGN_OR_RETURN(Field field, ResolveField(*id, order.type, dialect));
  order.key = std::string(field.canonical);
  return order;
}

}  // namespace

std::string_view ComparatorName(Comparator op) {
  switch (op) {
    case Comparator::kEq: return "=";
    case Comparator::kNe: return "!=";
    case Comparator::kGt: return ">";
    case Comparator::kGe: return ">=";
    case Comparator::kLt: return "<";
    case Comparator::kLe: return "<=";
    case Comparator::kLike: return "LIKE";
    case Comparator::kILike: return "ILIKE";
    case Comparator::kIn: return "IN";
    case Comparator::kNotIn: return "NOT IN";
  }
  return "?";
}

std::string_view EntityTypeName(EntityType type) {
  switch (type) {
    case EntityType::kMetric: return "metric";
    case EntityType::kParam: return "parameter";
    case EntityType::kTag: return "tag";
    case EntityType::kAttribute: return "attribute";
    case EntityType::kDataset: return "dataset";
  }
  return "?";
}

StatusOr<std::vector<Clause>> ParseRunFilter(std::string_view filter) {
  return ParseFilter(filter, kRunFilter);
}

StatusOr<OrderBy> ParseRunOrderBy(std::string_view order_by) {
  return ParseOrderByItem(order_by, kRunOrderBy);
}

StatusOr<std::vector<Clause>> ParseExperimentFilter(std::string_view filter) {
  return ParseFilter(filter, kExperimentFilter);
}

StatusOr<OrderBy> ParseExperimentOrderBy(std::string_view order_by) {
  return ParseOrderByItem(order_by, kExperimentOrderBy);
}

StatusOr<std::vector<Clause>> ParseRegisteredModelFilter(std::string_view filter) {
  return ParseFilter(filter, kRegisteredModelFilter);
}

StatusOr<std::vector<Clause>> ParseModelVersionFilter(std::string_view filter) {
  return ParseFilter(filter, kModelVersionFilter);
}

StatusOr<OrderBy> ParseRegistryOrderBy(std::string_view order_by, bool model_versions) {
  return ParseOrderByItem(order_by,
                          model_versions ? kModelVersionOrderBy : kRegisteredModelOrderBy);
}

StatusOr<std::vector<Clause>> ParseLoggedModelFilter(std::string_view filter) {
  return ParseFilter(filter, kLoggedModelFilter);
}

StatusOr<OrderBy> ParseLoggedModelOrderBy(std::string_view field_name) {
  return ParseOrderByItem(field_name, kLoggedModelOrderBy);
}

StatusOr<std::vector<Clause>> ParseTraceV3Filter(std::string_view filter) {
  return ParseFilter(filter, kTraceV3Filter);
}

StatusOr<OrderBy> ParseTraceV3OrderBy(std::string_view order_by) {
  return ParseOrderByItem(order_by, kTraceV3OrderBy);
}

StatusOr<std::vector<Clause>> ParseEvalDatasetFilter(std::string_view filter) {
  return ParseFilter(filter, kEvalDatasetFilter);
}

StatusOr<OrderBy> ParseEvalDatasetOrderBy(std::string_view order_by) {
  return ParseOrderByItem(order_by, kEvalDatasetOrderBy);
}

}  // namespace mlws::tracking
