/**
 * The PostgreSQL the SQL-catalog tests use. `.ci/run` starts a throwaway cluster and
 * exports K2_TEST_PG_URL; locally, start one the same way (see README, Development).
 * Without it the PostgreSQL tests are skipped locally, but never on CI: there a
 * missing database is an error, so a skip can never pass for a success.
 */
export function testPostgresUrl(): string | undefined {
  const url = process.env.K2_TEST_PG_URL;
  if ((url === undefined || url === '') && process.env.CI) {
    throw new Error('K2_TEST_PG_URL is not set on CI: .ci/run must start PostgreSQL for the SQL-catalog tests');
  }
  return url === '' ? undefined : url;
}
