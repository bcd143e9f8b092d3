package io.cohort.store.jdbc;

/**
 * What {@link JdbcTransactionStore#migrate} did.
 *
 * @param database the database, as its URL without password
 * @param versionBefore the schema version found (0: no Cohort schema yet)
 * @param versionAfter the schema version now, the newest this build knows
 * @param applied how many migrations were applied (0 when the schema was already current)
 */
public record SchemaMigration(String database, int versionBefore, int versionAfter, int applied) {}
