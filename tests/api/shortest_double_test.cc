// WriteShortestDouble must write exactly what std::to_chars writes, for every double: the fast
// path for values with few decimals is checked against it on the forms metrics take and on
// the edges of that path (powers of ten, where fixed and scientific notation tie, huge and tiny
// values, negative zero, random bit patterns).
#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "api/mlflow_json.h"

namespace mlws::api {
namespace {

std::string Fast(double v) {
  char buf[64];
  return std::string(buf, WriteShortestDouble(buf, v));
}

std::string Reference(double v) {
  char buf[64];
  return std::string(buf, std::to_chars(buf, buf + sizeof(buf), v).ptr);
}

TEST(ShortestDouble, WritesWhatToCharsWritesOnEdges) {
  for (double v : {0.0,
                   -0.0,
                   1.0,
                   -1.0,
                   0.5,
                   0.25,
                   0.1,
                   0.001,
                   0.0001,
                   1e-5,
                   1e-8,
                   1.5e-8,
                   1e-9,
                   10.0,
                   100.0,
                   1000.0,
                   1e4,
                   1e5,
                   1e6,
                   1e7,
                   9999999.99999999,
                   1234567.5,
                   120000.0,
                   1200000.0,
                   0.00012,
                   0.000123,
                   0.0001234,
                   123456.0,
                   1e15,
                   1e16,
                   9007199254740993.0,
                   1e300,
                   5e-324,
                   std::numeric_limits<double>::max(),
                   std::numeric_limits<double>::min(),
                   0.30000000000000004,
                   2.5e-3,
                   7e-3}) {
    for (double s : {v, -v}) EXPECT_EQ(Fast(s), Reference(s)) << Reference(s);
  }
  for (int e = -12; e <= 16; ++e) {
    for (double mant : {1.0, 1.2, 1.25, 3.0, 9.99}) {
      double v = mant * std::pow(10.0, e);
      EXPECT_EQ(Fast(v), Reference(v)) << Reference(v);
    }
  }
}

TEST(ShortestDouble, WritesWhatToCharsWritesOnMetricLikeAndRandomValues) {
  std::mt19937_64 rng(12);
  int fast_forms = 0;
  for (int i = 0; i < 300000; ++i) {
    double v = 0;
    switch (i % 5) {
      case 0:  // a few decimals, as accuracy and loss values often have
        v = static_cast<double>(rng() % 100000000) / std::pow(10.0, static_cast<int>(rng() % 9));
        break;
      case 1:  // integers (steps logged as values, counts)
        v = static_cast<double>(static_cast<std::int64_t>(rng() % 20000000000ULL) - 10000000000LL);
        break;
      case 2:  // full precision in [0, 1)
        v = std::uniform_real_distribution<double>(0, 1)(rng);
        break;
      case 3:  // any magnitude
        v = std::uniform_real_distribution<double>(-1, 1)(rng) *
            std::pow(10.0, static_cast<int>(rng() % 40) - 20);
        break;
      default: {  // any bit pattern that is a finite number
        std::uint64_t bits = rng();
        std::memcpy(&v, &bits, sizeof(v));
        if (!std::isfinite(v)) v = 1.5;
      }
    }
    if (i % 2) v = -v;
    std::string want = Reference(v);
    ASSERT_EQ(Fast(v), want) << "i=" << i;
    fast_forms += want.find('e') == std::string::npos && want.size() < 17;
  }
  EXPECT_GT(fast_forms, 100000);  // the fast path's forms were exercised, not just the fallback
}

}  // namespace
}  // namespace mlws::api
