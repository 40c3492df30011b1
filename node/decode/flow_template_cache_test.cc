// Tests for FlowTemplateCache: keys, replacement, capacity, withdrawal (including the
// backward-shift deletion keeping colliding entries reachable), exporter state, and the
// export format round trip.
#include "node/decode/flow_template_cache.h"

#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace firehose::decode {
namespace {

FlowTemplate Make(uint8_t exporter, uint32_t domain, uint16_t id, uint16_t first_field = 8) {
  FlowTemplate t;
  t.key.exporter_len = 4;
  t.key.exporter[3] = exporter;
  t.key.version = 10;
  t.key.domain = domain;
  t.key.template_id = id;
  t.field_count = 1;
  t.fields[0] = FlowFieldSpec{first_field, 4, 0};
  t.min_record_length = 4;
  return t;
}

TEST(FlowTemplateCacheTest, KeyedByExporterDomainAndId) {
  FlowTemplateCache cache(16);
  ASSERT_TRUE(cache.Put(Make(1, 1, 256)));
  EXPECT_NE(cache.Find(Make(1, 1, 256).key), nullptr);
  EXPECT_EQ(cache.Find(Make(2, 1, 256).key), nullptr);
  EXPECT_EQ(cache.Find(Make(1, 2, 256).key), nullptr);
  EXPECT_EQ(cache.Find(Make(1, 1, 257).key), nullptr);
  FlowTemplate v9 = Make(1, 1, 256);
  v9.key.version = 9;
  EXPECT_EQ(cache.Find(v9.key), nullptr);
  // Re-sending replaces in place.
  ASSERT_TRUE(cache.Put(Make(1, 1, 256, 12)));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.Find(Make(1, 1, 256).key)->fields[0].id, 12);
}

TEST(FlowTemplateCacheTest, CapacityAndRandomWithdrawalsMatchAReferenceSet) {
  FlowTemplateCache cache(64);
  std::set<std::tuple<int, int, int>> reference;
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    const uint8_t exporter = rng() % 4;
    const uint32_t domain = rng() % 3;
    const uint16_t id = 256 + rng() % 20;
    const auto key = std::make_tuple(exporter, domain, id);
    if (rng() % 3 == 0) {
      EXPECT_EQ(cache.Withdraw(Make(exporter, domain, id).key), reference.erase(key) == 1);
    } else {
      const bool fits = reference.count(key) || reference.size() < 64;
      EXPECT_EQ(cache.Put(Make(exporter, domain, id)), fits);
      if (fits) reference.insert(key);
    }
    ASSERT_EQ(cache.size(), reference.size());
  }
  for (int e = 0; e < 4; ++e) {
    for (int dom = 0; dom < 3; ++dom) {
      for (int id = 256; id < 276; ++id) {
        EXPECT_EQ(cache.Find(Make(e, dom, id).key) != nullptr,
                  reference.count(std::make_tuple(e, dom, id)) == 1);
      }
    }
  }
}

TEST(FlowTemplateCacheTest, WithdrawAllKeepsOtherScopesAndKinds) {
  FlowTemplateCache cache(32);
  for (uint16_t id = 256; id < 266; ++id) cache.Put(Make(1, 1, id));
  FlowTemplate options = Make(1, 1, 300);
  options.options = true;
  cache.Put(options);
  cache.Put(Make(1, 2, 256));
  EXPECT_EQ(cache.WithdrawAll(Make(1, 1, 0).key, /*options=*/false), 10u);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_NE(cache.Find(options.key), nullptr);
  EXPECT_NE(cache.Find(Make(1, 2, 256).key), nullptr);
}

TEST(FlowTemplateCacheTest, ExporterStateAndRoundTrip) {
  FlowTemplateCache cache(8);
  cache.Put(Make(1, 1, 256));
  ExporterState& s = cache.State(Make(1, 1, 256).key);
  s.sampling_interval = 100;
  EXPECT_EQ(cache.FindState(Make(1, 1, 999).key)->sampling_interval, 100u);
  EXPECT_EQ(cache.FindState(Make(2, 1, 256).key), nullptr);
  FlowTemplateCache copy(8);
  ASSERT_TRUE(copy.Import(cache.Export()).ok());
  EXPECT_NE(copy.Find(Make(1, 1, 256).key), nullptr);
  EXPECT_EQ(copy.FindState(Make(1, 1, 0).key)->sampling_interval, 100u);
  // A smaller cache refuses an export that does not fit rather than dropping some.
  FlowTemplateCache big(8);
  for (uint16_t id = 256; id < 260; ++id) big.Put(Make(1, 1, id));
  FlowTemplateCache small(2);
  EXPECT_FALSE(small.Import(big.Export()).ok());
  EXPECT_EQ(small.size(), 0u);
}

// Per-worker exports become one: the union, later exports winning on a shared key.
TEST(FlowTemplateCacheTest, MergeExportsUnitesWorkers) {
  FlowTemplateCache a(8), b(8);
  a.Put(Make(1, 1, 256));
  a.Put(Make(1, 1, 257, /*first_field=*/8));
  b.Put(Make(2, 1, 256));
  b.Put(Make(1, 1, 257, /*first_field=*/12));
  b.State(Make(2, 1, 0).key).sampling_interval = 64;
  absl::StatusOr<std::string> merged = FlowTemplateCache::MergeExports(
      std::vector<std::string>{a.Export(), b.Export()}, 8);
  ASSERT_TRUE(merged.ok()) << merged.status();
  FlowTemplateCache all(8);
  ASSERT_TRUE(all.Import(*merged).ok());
  EXPECT_EQ(all.size(), 3u);
  EXPECT_EQ(all.Find(Make(1, 1, 257).key)->fields[0].id, 12);
  EXPECT_EQ(all.FindState(Make(2, 1, 0).key)->sampling_interval, 64u);
  EXPECT_FALSE(FlowTemplateCache::MergeExports(std::vector<std::string>{a.Export(), "junk"}).ok());
  EXPECT_FALSE(
      FlowTemplateCache::MergeExports(std::vector<std::string>{a.Export(), b.Export()}, 2).ok());
}

}  // namespace
}  // namespace firehose::decode
