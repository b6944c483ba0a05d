#include "mlws/tracking/search_filter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace mlws::tracking {
namespace {

std::vector<Clause> ParseRunsOk(std::string_view filter) {
  StatusOr<std::vector<Clause>> result = ParseRunFilter(filter);
  EXPECT_TRUE(result.ok()) << "filter: " << filter << "\n" << result.status().ToString();
  return result.ok() ? *result : std::vector<Clause>{};
}

// Parses a filter that must hold exactly one clause.
Clause OneRunClause(std::string_view filter) {
  std::vector<Clause> clauses = ParseRunsOk(filter);
  EXPECT_EQ(clauses.size(), 1u) << "filter: " << filter;
  return clauses.empty() ? Clause{} : clauses[0];
}

template <typename T>
void ExpectInvalid(const StatusOr<T>& result, std::string_view input,
                   std::string_view message_part = "") {
  ASSERT_FALSE(result.ok()) << "accepted: " << input;
  EXPECT_EQ(result.status().code(), ErrorCode::kInvalidParameterValue) << input;
  if (!message_part.empty()) {
    EXPECT_NE(result.status().message().find(message_part), std::string::npos)
        << "input: " << input << "\nmessage: " << result.status().message();
  }
}

// ---- SearchRuns filter: valid --------------------------------------------------------------

TEST(RunFilterTest, EmptyAndBlankFiltersHaveNoClauses) {
  EXPECT_TRUE(ParseRunsOk("").empty());
  EXPECT_TRUE(ParseRunsOk("   \t\n ").empty());
}

TEST(RunFilterTest, MetricComparisons) {
  struct Case {
    const char* filter;
    Comparator op;
    double number;
  };
  const Case cases[] = {
      {"metrics.acc = 1", Comparator::kEq, 1},
      {"metrics.acc != 2.5", Comparator::kNe, 2.5},
      {"metrics.acc > -3", Comparator::kGt, -3},
      {"metrics.acc >= .5", Comparator::kGe, 0.5},
      {"metrics.acc < 5.", Comparator::kLt, 5},
      {"metrics.acc <= 1e3", Comparator::kLe, 1000},
      {"metrics.acc<=1.5E-2", Comparator::kLe, 0.015},
      {"metric.acc=-0.25", Comparator::kEq, -0.25},
      {"metrics.acc > +7", Comparator::kGt, 7},
  };
  for (const Case& c : cases) {
    Clause clause = OneRunClause(c.filter);
    EXPECT_EQ(clause.type, EntityType::kMetric) << c.filter;
    EXPECT_EQ(clause.key, "acc") << c.filter;
    EXPECT_EQ(clause.op, c.op) << c.filter;
    EXPECT_TRUE(clause.is_numeric) << c.filter;
    EXPECT_DOUBLE_EQ(clause.number, c.number) << c.filter;
  }
}

TEST(RunFilterTest, NumericLiteralKeepsItsSpelling) {
  Clause clause = OneRunClause("attributes.start_time >= 1700000000123");
  EXPECT_EQ(clause.text, "1700000000123");
  EXPECT_DOUBLE_EQ(clause.number, 1700000000123.0);
}

TEST(RunFilterTest, HugeAndTinyNumbersSaturate) {
  Clause big = OneRunClause("metrics.loss < 1e999");
  EXPECT_TRUE(std::isinf(big.number));
  EXPECT_GT(big.number, 0);
  Clause neg = OneRunClause("metrics.loss > -1e999");
  EXPECT_TRUE(std::isinf(neg.number));
  EXPECT_LT(neg.number, 0);
  Clause tiny = OneRunClause("metrics.loss > 1e-999");
  EXPECT_EQ(tiny.number, 0.0);
  std::string long_digits = "metrics.loss < 1" + std::string(400, '0');
  EXPECT_TRUE(std::isinf(OneRunClause(long_digits).number));
}

TEST(RunFilterTest, ParamAndTagStringComparisons) {
  Clause p = OneRunClause("params.lr = '0.01'");
  EXPECT_EQ(p.type, EntityType::kParam);
  EXPECT_EQ(p.key, "lr");
  EXPECT_EQ(p.op, Comparator::kEq);
  EXPECT_FALSE(p.is_numeric);
  EXPECT_EQ(p.text, "0.01");

  Clause p2 = OneRunClause("parameters.model != \"cnn\"");
  EXPECT_EQ(p2.type, EntityType::kParam);
  EXPECT_EQ(p2.op, Comparator::kNe);
  EXPECT_EQ(p2.text, "cnn");

  Clause p3 = OneRunClause("param.optimizer like 'ad%'");
  EXPECT_EQ(p3.type, EntityType::kParam);
  EXPECT_EQ(p3.key, "optimizer");
  EXPECT_EQ(p3.op, Comparator::kLike);
  EXPECT_EQ(p3.text, "ad%");

  Clause t = OneRunClause("tags.team ILIKE '%ML%'");
  EXPECT_EQ(t.type, EntityType::kTag);
  EXPECT_EQ(t.op, Comparator::kILike);
  EXPECT_EQ(t.text, "%ML%");

  Clause t2 = OneRunClause("tag.x = ''");
  EXPECT_EQ(t2.type, EntityType::kTag);
  EXPECT_EQ(t2.text, "");
}

TEST(RunFilterTest, QuotedAndDottedKeys) {
  EXPECT_EQ(OneRunClause("tags.`mlflow.runName` = 'x'").key, "mlflow.runName");
  EXPECT_EQ(OneRunClause("tags.\"mlflow.user\" = 'x'").key, "mlflow.user");
  EXPECT_EQ(OneRunClause("metrics.`my metric-1/a:b` > 0").key, "my metric-1/a:b");
  EXPECT_EQ(OneRunClause("tags.mlflow.source.type = 'LOCAL'").key, "mlflow.source.type");
  EXPECT_EQ(OneRunClause("`metrics`.acc > 0").type, EntityType::kMetric);
  EXPECT_EQ(OneRunClause("tags.`a``b` = 'x'").key, "a`b");
  EXPECT_EQ(OneRunClause("tags.\"a\"\"b\" = 'x'").key, "a\"b");
  EXPECT_EQ(OneRunClause("params.\xc3\xa9t\xc3\xa9 = 'x'").key, "\xc3\xa9t\xc3\xa9");
}

TEST(RunFilterTest, EscapedQuotesInValuesAreUnescaped) {
  EXPECT_EQ(OneRunClause("tags.note = 'it''s'").text, "it's");
  EXPECT_EQ(OneRunClause("tags.note = 'it\\'s'").text, "it's");
  EXPECT_EQ(OneRunClause("tags.note = \"say \"\"hi\"\"\"").text, "say \"hi\"");
  // Other backslashes are kept (LIKE escapes pass through).
  EXPECT_EQ(OneRunClause("tags.note LIKE '50\\%'").text, "50\\%");
  // A quote of the other kind needs no escaping.
  EXPECT_EQ(OneRunClause("tags.note = \"it's\"").text, "it's");
}

TEST(RunFilterTest, AttributesAndAliases) {
  struct Case {
    const char* filter;
    const char* key;
    bool numeric;
  };
  const Case cases[] = {
      {"attributes.status = 'FINISHED'", "status", false},
      {"attribute.user_id = 'alice'", "user_id", false},
      {"attr.run_name LIKE 'exp%'", "run_name", false},
      {"run.artifact_uri = 's3://b/p'", "artifact_uri", false},
      {"status != 'FAILED'", "status", false},
      {"run_id = 'abc'", "run_id", false},
      {"attributes.start_time > 0", "start_time", true},
      {"end_time <= 10", "end_time", true},
      {"created >= 5", "start_time", true},
      {"attributes.Created < 5", "start_time", true},
      {"attributes.`run name` = 'r'", "run_name", false},
      {"\"Run Name\" = 'r'", "run_name", false},
      {"`Run name` ILIKE 'r%'", "run_name", false},
  };
  for (const Case& c : cases) {
    Clause clause = OneRunClause(c.filter);
    EXPECT_EQ(clause.type, EntityType::kAttribute) << c.filter;
    EXPECT_EQ(clause.key, c.key) << c.filter;
    EXPECT_EQ(clause.is_numeric, c.numeric) << c.filter;
  }
}

TEST(RunFilterTest, RunIdInAndNotInLists) {
  Clause in = OneRunClause("attributes.run_id IN ('a1', 'b2','c3')");
  EXPECT_EQ(in.op, Comparator::kIn);
  EXPECT_EQ(in.list, (std::vector<std::string>{"a1", "b2", "c3"}));

  Clause not_in = OneRunClause("run_id not   in ( 'x' )");
  EXPECT_EQ(not_in.op, Comparator::kNotIn);
  EXPECT_EQ(not_in.list, (std::vector<std::string>{"x"}));

  Clause quoted = OneRunClause("run_id IN ('a,b', 'c''d')");
  EXPECT_EQ(quoted.list, (std::vector<std::string>{"a,b", "c'd"}));
}

TEST(RunFilterTest, DatasetClauses) {
  Clause name = OneRunClause("datasets.name = 'iris'");
  EXPECT_EQ(name.type, EntityType::kDataset);
  EXPECT_EQ(name.key, "name");
  EXPECT_EQ(name.text, "iris");

  Clause digest = OneRunClause("dataset.digest IN ('d1', 'd2')");
  EXPECT_EQ(digest.type, EntityType::kDataset);
  EXPECT_EQ(digest.op, Comparator::kIn);
  EXPECT_EQ(digest.list.size(), 2u);

  Clause context = OneRunClause("datasets.context NOT IN ('train')");
  EXPECT_EQ(context.key, "context");
  EXPECT_EQ(context.op, Comparator::kNotIn);

  EXPECT_EQ(OneRunClause("datasets.name LIKE 'ir%'").op, Comparator::kLike);
}

TEST(RunFilterTest, AndJoinsClausesCaseInsensitively) {
  std::vector<Clause> clauses = ParseRunsOk(
      "  metrics.acc > 0.9 AND params.lr = '0.1'and tags.`a b` != \"c\"\n\tAnD status = "
      "'RUNNING' ");
  ASSERT_EQ(clauses.size(), 4u);
  EXPECT_EQ(clauses[0].type, EntityType::kMetric);
  EXPECT_EQ(clauses[1].type, EntityType::kParam);
  EXPECT_EQ(clauses[2].type, EntityType::kTag);
  EXPECT_EQ(clauses[2].key, "a b");
  EXPECT_EQ(clauses[3].type, EntityType::kAttribute);
  EXPECT_EQ(clauses[3].text, "RUNNING");
}

TEST(RunFilterTest, TokensNeedNoSpacesWhereUnambiguous) {
  std::vector<Clause> clauses = ParseRunsOk("tags.a='x'AND tags.b!=\"y\"AND metrics.c>=-1");
  ASSERT_EQ(clauses.size(), 3u);
  EXPECT_EQ(clauses[0].text, "x");
  EXPECT_EQ(clauses[1].op, Comparator::kNe);
  EXPECT_DOUBLE_EQ(clauses[2].number, -1);
  EXPECT_EQ(ParseRunsOk("tags.`a b`ILIKE 'x'")[0].op, Comparator::kILike);
  EXPECT_EQ(ParseRunsOk("`run name`like 'x'")[0].key, "run_name");
  // A number runs into a following word, so 1AND is not a number.
  ExpectInvalid(ParseRunFilter("metrics.c>1AND metrics.d>2"), "1AND", "Found '1AND'");
}

TEST(RunFilterTest, StrayAndsAreIgnoredLikeMlflow) {
  EXPECT_EQ(ParseRunsOk("metrics.a > 1 AND").size(), 1u);
  EXPECT_EQ(ParseRunsOk("and metrics.a > 1").size(), 1u);
  EXPECT_EQ(ParseRunsOk("metrics.a > 1 AND and metrics.b > 2").size(), 2u);
  EXPECT_TRUE(ParseRunsOk(" AND ").empty());
  // But AND must be a whole word.
  ExpectInvalid(ParseRunFilter("ANDmetrics.a > 1"), "ANDmetrics",
                "Invalid entity type 'ANDmetrics'");
  ExpectInvalid(ParseRunFilter("metrics.a > 1 ANDmetrics.b > 2"), "ANDmetrics", "Expected AND");
}

TEST(RunFilterTest, KeywordsInsideStringsAreData) {
  std::vector<Clause> clauses = ParseRunsOk("tags.q = 'a AND b OR (c)' AND params.p = 'x'");
  ASSERT_EQ(clauses.size(), 2u);
  EXPECT_EQ(clauses[0].text, "a AND b OR (c)");
}

TEST(RunFilterTest, ManyClausesAreLinear) {
  std::string filter;
  for (int i = 0; i < 20000; ++i) {
    if (i > 0) filter += " AND ";
    filter += "metrics.m" + std::to_string(i) + " > " + std::to_string(i);
  }
  std::vector<Clause> clauses = ParseRunsOk(filter);
  ASSERT_EQ(clauses.size(), 20000u);
  EXPECT_EQ(clauses[19999].key, "m19999");
  EXPECT_DOUBLE_EQ(clauses[19999].number, 19999);
}

// ---- SearchRuns filter: invalid ------------------------------------------------------------

TEST(RunFilterTest, RejectsMalformedFilters) {
  struct Case {
    const char* filter;
    const char* message_part;
  };
  const Case cases[] = {
      {"metrics.a > 1 OR metrics.b > 2", "OR is not supported"},
      {"metrics.a > 1 or metrics.b > 2", "OR is not supported"},
      {"(metrics.a > 1)", "parentheses"},
      {"metrics.a > 1 AND (metrics.b > 2)", "parentheses"},
      {"metrics.a > 1)", "Parentheses"},
      {"metrics.a > 1 metrics.b > 2", "Expected AND"},
      {"metrics.a > 1;", "multiple expressions"},
      {"metrics.a", "expected a comparator"},
      {"metrics.a >", "expected a value"},
      {"metrics.a > > 1", "expected a value"},
      {"metrics.a >> 1", "invalid comparator '>>'"},
      {"metrics.a <> 1", "invalid comparator '<>'"},
      {"metrics.a == 1", "invalid comparator '=='"},
      {"params.a NOT LIKE 'x'", "invalid comparator 'NOT LIKE'"},
      {"params.a REGEXP 'x'", "invalid comparator 'REGEXP'"},
      {"params.a = 'x", "unterminated quoted string"},
      {"params.a = \"x", "unterminated quoted string"},
      {"params.a = 'x\\'", "unterminated quoted string"},
      {"tags.`a = 'x'", "unterminated quoted string"},
      {"foo.a = 'x'", "Invalid entity type 'foo'"},
      {"METRICS.a > 1", "Invalid entity type 'METRICS'"},
      {"\"tags\".a = 'x'", "invalid entity type"},
      {"foo = 'x'", "Invalid attribute key 'foo' specified. Valid keys are"},
      {"attributes.lifecycle_stage = 'active'", "Invalid attribute key 'lifecycle_stage'"},
      {"attributes.experiment_id = '1'", "Invalid attribute key"},
      {"datasets.schema = 'x'", "Invalid dataset key 'schema'"},
      {"metrics. = 1", "missing key"},
      {"metrics.`` > 1", "the key is empty"},
      {"metrics.a. > 1", "invalid identifier"},
      {"metrics.a-b > 1", "expected a comparator"},
      {"tags.`a`b = 'x'", "invalid comparator 'b'"},
      {"tags.`a`.b = 'x'", "invalid identifier"},
      {"tags.a.`b` = 'x'", "invalid identifier"},
      {"= 'x'", "expected an identifier"},
      {"metrics.a > 1 AND ,", "expected an identifier"},
      {"run_id IN ()", "empty list"},
      {"run_id IN ('a',)", "ill-formed list"},
      {"run_id IN ('a' 'b')", "ill-formed list"},
      {"run_id IN (\"a\")", "ill-formed list"},
      {"run_id IN ('a'", "ill-formed list"},
      {"run_id IN (1, 2)", "ill-formed list"},
      {"run_id IN 'a'", "expects a list"},
      {"run_id = ('a')", "only be compared with IN or NOT IN"},
  };
  for (const Case& c : cases) ExpectInvalid(ParseRunFilter(c.filter), c.filter, c.message_part);
}

TEST(RunFilterTest, RejectsWrongValueTypes) {
  struct Case {
    const char* filter;
    const char* message_part;
  };
  const Case cases[] = {
      {"metrics.a > '1'", "Expected numeric value type for metric"},
      {"metrics.a > abc", "Expected numeric value type for metric"},
      {"metrics.a > 1x", "Expected numeric value type for metric"},
      {"metrics.a > 0x10", "Expected numeric value type for metric"},
      {"metrics.a > inf", "Expected numeric value type for metric"},
      {"metrics.a > 1e", "Expected numeric value type for metric"},
      {"metrics.a > -", "Expected numeric value type for metric"},
      {"metrics.a > 1.2.3", "Expected numeric value type for metric"},
      {"params.a = 1", "Expected a quoted string value for parameter"},
      {"tags.a = 1.5", "Expected a quoted string value for tag"},
      {"tags.a = abc", "not quoted"},
      {"attributes.status = 3", "Expected a quoted string value for attribute"},
      {"start_time > '2024'", "Expected numeric value type for numeric attribute: start_time"},
      {"created > 1.5", "Expected an integer value for numeric attribute: created"},
      {"end_time > 1e30", "Expected an integer value"},
      {"datasets.name = 5", "Expected a quoted string value for dataset"},
  };
  for (const Case& c : cases) ExpectInvalid(ParseRunFilter(c.filter), c.filter, c.message_part);
}

TEST(RunFilterTest, RejectsComparatorsInvalidForTheField) {
  struct Case {
    const char* filter;
    const char* message_part;
  };
  const Case cases[] = {
      {"metrics.a LIKE '1'", "Invalid comparator 'LIKE' for metric 'a'"},
      {"metrics.a IN ('1')", "Invalid comparator 'IN' for metric"},
      {"params.a > '1'", "Invalid comparator '>' for parameter 'a'"},
      {"params.a IN ('x')", "Invalid comparator 'IN' for parameter"},
      {"tags.a <= 'x'", "Invalid comparator '<=' for tag"},
      {"tags.a NOT IN ('x')", "Invalid comparator 'NOT IN' for tag"},
      {"status IN ('RUNNING')", "Invalid comparator 'IN' for attribute 'status'"},
      {"run_name > 'a'", "Invalid comparator '>' for attribute 'run_name'"},
      {"start_time LIKE '1%'", "Invalid comparator 'LIKE' for attribute 'start_time'"},
      {"datasets.name > 'a'", "Invalid comparator '>' for dataset 'name'"},
  };
  for (const Case& c : cases) ExpectInvalid(ParseRunFilter(c.filter), c.filter, c.message_part);
}

TEST(RunFilterTest, ErrorMessagesAreShortAndValidUtf8) {
  std::string filter = "tags.x = 'unterminated " + std::string(100000, 'z');
  StatusOr<std::vector<Clause>> result = ParseRunFilter(filter);
  ExpectInvalid(result, "long unterminated", "unterminated");
  EXPECT_LT(result.status().message().size(), 400u);

  StatusOr<std::vector<Clause>> bad_utf8 = ParseRunFilter("\xff\xfe = 'x' OR \x01");
  ASSERT_FALSE(bad_utf8.ok());
  const std::string message = bad_utf8.status().message();
  EXPECT_NE(message.find("Invalid attribute key '?\?'"), std::string::npos) << message;
  for (char c : message) {
    EXPECT_TRUE(static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x80)
        << message;
  }
  // Well-formed UTF-8 is kept; a cut never splits a character.
  std::string utf8_key;
  for (int i = 0; i < 100; ++i) utf8_key += "\xc3\xa9";
  StatusOr<std::vector<Clause>> unknown = ParseRunFilter(utf8_key + " = 'x'");
  ASSERT_FALSE(unknown.ok());
  const std::string unknown_message = unknown.status().message();
  EXPECT_NE(unknown_message.find("'\xc3\xa9\xc3\xa9"), std::string::npos) << unknown_message;
  EXPECT_NE(unknown_message.find("\xc3\xa9...'"), std::string::npos) << unknown_message;
}

// ---- SearchRuns order_by -------------------------------------------------------------------

TEST(RunOrderByTest, ParsesKeysAndDirections) {
  struct Case {
    const char* order_by;
    EntityType type;
    const char* key;
    bool ascending;
  };
  const Case cases[] = {
      {"metrics.acc DESC", EntityType::kMetric, "acc", false},
      {"metric.acc", EntityType::kMetric, "acc", true},
      {"params.lr ASC", EntityType::kParam, "lr", true},
      {"param.lr desc", EntityType::kParam, "lr", false},
      {"tags.`mlflow.runName` Desc", EntityType::kTag, "mlflow.runName", false},
      {"tags.\"a b\"", EntityType::kTag, "a b", true},
      {"attributes.start_time", EntityType::kAttribute, "start_time", true},
      {"start_time DESC", EntityType::kAttribute, "start_time", false},
      {"  attribute.end_time   asc  ", EntityType::kAttribute, "end_time", true},
      {"created DESC", EntityType::kAttribute, "start_time", false},
      {"run_name", EntityType::kAttribute, "run_name", true},
      {"attr.status", EntityType::kAttribute, "status", true},
      {"run.user_id", EntityType::kAttribute, "user_id", true},
      {"artifact_uri", EntityType::kAttribute, "artifact_uri", true},
      {"run_id DESC", EntityType::kAttribute, "run_id", false},
  };
  for (const Case& c : cases) {
    StatusOr<OrderBy> result = ParseRunOrderBy(c.order_by);
    ASSERT_TRUE(result.ok()) << c.order_by << ": " << result.status().ToString();
    EXPECT_EQ(result->type, c.type) << c.order_by;
    EXPECT_EQ(result->key, c.key) << c.order_by;
    EXPECT_EQ(result->ascending, c.ascending) << c.order_by;
  }
}

TEST(RunOrderByTest, RejectsInvalidItems) {
  struct Case {
    const char* order_by;
    const char* message_part;
  };
  const Case cases[] = {
      {"", "Could not be parsed"},
      {"   ", "Could not be parsed"},
      {"metrics.acc DOWN", "Invalid ordering key"},
      {"metrics.acc DESC extra", "Could not be parsed"},
      {"metrics.acc, params.b", "Could not be parsed"},
      {"foo.acc", "Invalid entity type 'foo'"},
      {"lifecycle_stage", "Invalid attribute key 'lifecycle_stage'"},
      {"`run name`", "Invalid attribute key 'run name'"},
      {"datasets.name", "Invalid order_by entity: dataset"},
      {"metrics.`acc", "unterminated"},
      {"(metrics.acc)", "parentheses"},
  };
  for (const Case& c : cases) {
    ExpectInvalid(ParseRunOrderBy(c.order_by), c.order_by, c.message_part);
  }
}

// ---- SearchExperiments ---------------------------------------------------------------------

TEST(ExperimentFilterTest, ParsesAttributesAndTags) {
  StatusOr<std::vector<Clause>> result = ParseExperimentFilter(
      "name LIKE 'exp%' AND attribute.creation_time > 100 AND attributes.last_update_time <= 5 "
      "AND tags.owner = 'me' AND tag.`a.b` ILIKE '%x%' AND attr.name != 'x'");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->size(), 6u);
  const std::vector<Clause>& c = *result;
  EXPECT_EQ(c[0].type, EntityType::kAttribute);
  EXPECT_EQ(c[0].key, "name");
  EXPECT_EQ(c[0].op, Comparator::kLike);
  EXPECT_EQ(c[1].key, "creation_time");
  EXPECT_TRUE(c[1].is_numeric);
  EXPECT_DOUBLE_EQ(c[1].number, 100);
  EXPECT_EQ(c[2].key, "last_update_time");
  EXPECT_EQ(c[3].type, EntityType::kTag);
  EXPECT_EQ(c[3].key, "owner");
  EXPECT_EQ(c[4].key, "a.b");
  EXPECT_EQ(c[5].op, Comparator::kNe);
  EXPECT_TRUE(ParseExperimentFilter(" ")->empty());
}

TEST(ExperimentFilterTest, RejectsWhatSearchExperimentsDoesNotSupport) {
  struct Case {
    const char* filter;
    const char* message_part;
  };
  const Case cases[] = {
      {"metrics.a > 1", "Invalid entity type 'metrics'"},
      {"params.a = 'x'", "Invalid entity type 'params'"},
      {"experiment_id = '1'", "Invalid attribute key 'experiment_id'"},
      {"lifecycle_stage = 'active'", "Invalid attribute key"},
      {"name IN ('a')", "Invalid comparator 'IN'"},
      {"name > 'a'", "Invalid comparator '>'"},
      {"name = 5", "Expected a quoted string value"},
      {"creation_time = 'x'", "Expected numeric value type for numeric attribute: creation_time"},
      {"creation_time LIKE '1%'", "Invalid comparator 'LIKE'"},
      {"tags.a > 'x'", "Invalid comparator '>' for tag"},
      {"name = 'a' OR name = 'b'", "OR is not supported"},
  };
  for (const Case& c : cases) {
    ExpectInvalid(ParseExperimentFilter(c.filter), c.filter, c.message_part);
  }
}

TEST(ExperimentOrderByTest, ParsesAndRejects) {
  StatusOr<OrderBy> by_name = ParseExperimentOrderBy("name");
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(by_name->key, "name");
  EXPECT_TRUE(by_name->ascending);
  StatusOr<OrderBy> by_time = ParseExperimentOrderBy("attribute.last_update_time DESC");
  ASSERT_TRUE(by_time.ok());
  EXPECT_EQ(by_time->key, "last_update_time");
  EXPECT_FALSE(by_time->ascending);
  EXPECT_EQ(ParseExperimentOrderBy("experiment_id asc")->key, "experiment_id");
  EXPECT_EQ(ParseExperimentOrderBy("attributes.creation_time")->key, "creation_time");

  ExpectInvalid(ParseExperimentOrderBy("tags.owner"), "tags.owner", "Invalid order_by entity");
  ExpectInvalid(ParseExperimentOrderBy("metrics.a"), "metrics.a", "Invalid entity type");
  ExpectInvalid(ParseExperimentOrderBy("start_time"), "start_time", "Invalid attribute key");
  ExpectInvalid(ParseExperimentOrderBy("name sideways"), "name sideways", "Invalid ordering key");
}

// ---- Model registry ------------------------------------------------------------------------

TEST(RegisteredModelFilterTest, ParsesNameAndTags) {
  StatusOr<std::vector<Clause>> result =
      ParseRegisteredModelFilter("name ILIKE '%prod%' AND tags.`stage` = 'gold'");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->size(), 2u);
  EXPECT_EQ((*result)[0].key, "name");
  EXPECT_EQ((*result)[0].op, Comparator::kILike);
  EXPECT_EQ((*result)[1].type, EntityType::kTag);
  EXPECT_EQ((*result)[1].key, "stage");
  EXPECT_EQ(ParseRegisteredModelFilter("attribute.name = 'm'")->at(0).text, "m");

  ExpectInvalid(ParseRegisteredModelFilter("run_id = 'a'"), "run_id", "Invalid attribute key");
  ExpectInvalid(ParseRegisteredModelFilter("name IN ('a')"), "name IN", "Invalid comparator");
  ExpectInvalid(ParseRegisteredModelFilter("version_number = 1"), "version_number",
                "Invalid attribute key");
  ExpectInvalid(ParseRegisteredModelFilter("metrics.a > 1"), "metrics", "Invalid entity type");
}

TEST(ModelVersionFilterTest, ParsesAllFields) {
  StatusOr<std::vector<Clause>> result = ParseModelVersionFilter(
      "name = 'm' AND run_id IN ('r1', 'r2') AND source_path LIKE 's3://%' AND "
      "version_number >= 3 AND tags.k != 'v'");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->size(), 5u);
  const std::vector<Clause>& c = *result;
  EXPECT_EQ(c[1].key, "run_id");
  EXPECT_EQ(c[1].op, Comparator::kIn);
  EXPECT_EQ(c[1].list, (std::vector<std::string>{"r1", "r2"}));
  EXPECT_EQ(c[2].key, "source_path");
  EXPECT_EQ(c[3].key, "version_number");
  EXPECT_TRUE(c[3].is_numeric);
  EXPECT_DOUBLE_EQ(c[3].number, 3);
  EXPECT_EQ(c[4].type, EntityType::kTag);
}

TEST(ModelVersionFilterTest, RejectsUnsupportedForms) {
  struct Case {
    const char* filter;
    const char* message_part;
  };
  const Case cases[] = {
      {"run_id NOT IN ('a')", "Invalid comparator 'NOT IN'"},
      {"name IN ('a')", "Invalid comparator 'IN' for attribute 'name'"},
      {"version_number = '1'", "Expected numeric value type"},
      {"version_number = 1.5", "Expected an integer value"},
      {"version_number LIKE '1'", "Invalid comparator 'LIKE'"},
      {"current_stage = 'Production'", "Invalid attribute key 'current_stage'"},
      {"datasets.name = 'x'", "Invalid entity type 'datasets'"},
  };
  for (const Case& c : cases) {
    ExpectInvalid(ParseModelVersionFilter(c.filter), c.filter, c.message_part);
  }
}

TEST(RegistryOrderByTest, ParsesKeysPerResource) {
  StatusOr<OrderBy> rm = ParseRegistryOrderBy("last_updated_timestamp DESC", false);
  ASSERT_TRUE(rm.ok()) << rm.status().ToString();
  EXPECT_EQ(rm->key, "last_updated_timestamp");
  EXPECT_FALSE(rm->ascending);
  EXPECT_EQ(ParseRegistryOrderBy("timestamp", false)->key, "last_updated_timestamp");
  EXPECT_EQ(ParseRegistryOrderBy("attribute.creation_timestamp", false)->key, "creation_timestamp");
  EXPECT_EQ(ParseRegistryOrderBy("name ASC", true)->key, "name");
  EXPECT_EQ(ParseRegistryOrderBy("version_number DESC", true)->key, "version_number");

  ExpectInvalid(ParseRegistryOrderBy("version_number", false), "rm version_number",
                "Invalid attribute key 'version_number'");
  ExpectInvalid(ParseRegistryOrderBy("timestamp", true), "mv timestamp", "Invalid attribute key");
  ExpectInvalid(ParseRegistryOrderBy("tags.k", true), "tags.k", "Invalid order_by entity: tag");
  ExpectInvalid(ParseRegistryOrderBy("", false), "empty", "Could not be parsed");
}

TEST(NamesTest, ComparatorAndEntityNames) {
  EXPECT_EQ(ComparatorName(Comparator::kNotIn), "NOT IN");
  EXPECT_EQ(ComparatorName(Comparator::kGe), ">=");
  EXPECT_EQ(EntityTypeName(EntityType::kParam), "parameter");
  EXPECT_EQ(EntityTypeName(EntityType::kDataset), "dataset");
}

}  // namespace
}  // namespace mlws::tracking
