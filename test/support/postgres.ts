/**
 * The PostgreSQL the SQL-catalog tests use. `.ci/run` starts a throwaway cluster and
 * exports K2_TEST_PG_URL; locally, start one the same way (see README, Development).
 */
export function testPostgresUrl(): string | undefined {
  return process.env.K2_TEST_PG_URL;
}
