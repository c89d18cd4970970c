package gov.hhs.solr;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * Starts a real Solr 9 HTTP server on 127.0.0.1 for CKAN.
 *
 * <p>Usage: {@code java -cp ... gov.hhs.solr.SolrLauncher SOLR_HOME [PORT]}. SOLR_HOME holds
 * {@code solr.xml} and one folder per core (the {@code ckan} core is laid out by
 * {@code scripts/stack.sh}). Stops cleanly on SIGTERM or SIGINT.
 */
public final class SolrLauncher {

  private SolrLauncher() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: SolrLauncher SOLR_HOME [PORT]");
      System.exit(2);
    }
    Path home = Path.of(args[0]).toAbsolutePath();
    int port = args.length > 1 ? Integer.parseInt(args[1]) : 8983;
    if (!Files.isRegularFile(home.resolve("solr.xml"))) {
      System.err.println("no solr.xml in " + home);
      System.exit(2);
    }
    // JettySolrRunner binds its connector to 127.0.0.1 only.
    JettyConfig config = JettyConfig.builder().setPort(port).setContext("/solr").stopAtShutdown(false).build();
    JettySolrRunner runner = new JettySolrRunner(home.toString(), config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        System.out.println("Solr stopping");
        runner.stop();
      } catch (Exception e) {
        System.err.println("Solr stop failed: " + e);
      } finally {
        stopped.countDown();
      }
    }));
    runner.start();
    System.out.println("Solr listening on http://127.0.0.1:" + runner.getLocalPort() + "/solr (home " + home + ")");
    System.out.flush();
    stopped.await();
  }
}
