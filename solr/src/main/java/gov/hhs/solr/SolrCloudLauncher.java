package gov.hhs.solr;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.solr.client.solrj.request.CollectionAdminRequest;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * A local SolrCloud for scale-out tests: an embedded ZooKeeper, N Solr nodes (Solr's own
 * {@code MiniSolrCloudCluster} from solr-test-framework) and one collection made from CKAN's schema.
 *
 * <p>Usage: {@code java -cp ... gov.hhs.solr.SolrCloudLauncher BASE_DIR CONFIGSET_DIR COLLECTION
 * NODES SHARDS REPLICAS}. Every port is a free one the system picks (never 8983). When the collection
 * is active, {@code BASE_DIR/cluster.properties} names the nodes' URLs, ZooKeeper's address and a
 * control address on 127.0.0.1 that stops and starts nodes: {@code GET /stop?node=N}, {@code GET
 * /start?node=N} (same port again), {@code GET /status}. Stops cleanly on SIGTERM or SIGINT.
 */
public final class SolrCloudLauncher {

  private SolrCloudLauncher() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 6) {
      System.err.println("usage: SolrCloudLauncher BASE_DIR CONFIGSET_DIR COLLECTION NODES SHARDS REPLICAS");
      System.exit(2);
    }
    Path base = Path.of(args[0]).toAbsolutePath();
    Path configset = Path.of(args[1]).toAbsolutePath();
    String collection = args[2];
    int nodes = Integer.parseInt(args[3]);
    int shards = Integer.parseInt(args[4]);
    int replicas = Integer.parseInt(args[5]);
    if (!Files.isRegularFile(configset.resolve("schema.xml"))) {
      System.err.println("no schema.xml in " + configset);
      System.exit(2);
    }
    Files.createDirectories(base);
    Files.deleteIfExists(base.resolve("cluster.properties"));

    MiniSolrCloudCluster cluster =
        new MiniSolrCloudCluster.Builder(nodes, base.resolve("cluster"))
            .addConfig(collection, configset)
            .withJettyConfig(jetty -> jetty.setContext("/solr").stopAtShutdown(false))
            .build();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        System.out.println("SolrCloud stopping");
        cluster.shutdown();
      } catch (Exception e) {
        System.err.println("SolrCloud stop failed: " + e);
      } finally {
        stopped.countDown();
      }
    }));

    CollectionAdminRequest.createCollection(collection, collection, shards, replicas)
        .process(cluster.getSolrClient());
    cluster.waitForActiveCollection(collection, 120, TimeUnit.SECONDS, shards, shards * replicas);

    // The cluster drops a stopped node from its own list: keep ours, so that node N stays node N.
    List<JettySolrRunner> runners = new ArrayList<>(cluster.getJettySolrRunners());
    HttpServer control = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    control.createContext("/", exchange -> control(cluster, runners, collection, shards, replicas, exchange));
    control.start();

    StringBuilder props = new StringBuilder();
    for (int i = 0; i < runners.size(); i++) {
      props.append("node.").append(i + 1).append('=').append(runners.get(i).getBaseUrl()).append('\n');
    }
    props.append("zookeeper=").append(cluster.getZkServer().getZkAddress()).append('\n');
    props.append("control=http://127.0.0.1:").append(control.getAddress().getPort()).append('\n');
    props.append("collection=").append(collection).append('\n');
    // Written whole, then moved into place: a reader never sees half of it.
    Path tmp = base.resolve("cluster.properties.tmp");
    Files.writeString(tmp, props.toString(), StandardCharsets.UTF_8);
    Files.move(tmp, base.resolve("cluster.properties"), StandardCopyOption.ATOMIC_MOVE);
    System.out.print("SolrCloud ready, collection " + collection + " (" + shards + " shards x " + replicas
        + " replicas)\n" + props);
    System.out.flush();
    stopped.await();
    control.stop(0);
  }

  private static void control(
      MiniSolrCloudCluster cluster,
      List<JettySolrRunner> runners,
      String collection,
      int shards,
      int replicas,
      HttpExchange exchange)
      throws IOException {
    String path = exchange.getRequestURI().getPath();
    String query = exchange.getRequestURI().getQuery();
    int code = 200;
    String body;
    try {
      if ("/status".equals(path)) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < runners.size(); i++) {
          s.append("node.").append(i + 1).append('=')
              .append(runners.get(i).isRunning() ? "running" : "stopped").append('\n');
        }
        body = s.toString();
      } else if (("/stop".equals(path) || "/start".equals(path)) && query != null
          && query.startsWith("node=")) {
        JettySolrRunner runner = runners.get(Integer.parseInt(query.substring(5)) - 1);
        if ("/stop".equals(path)) {
          if (!runner.isRunning()) {
            throw new IllegalStateException("node " + query.substring(5) + " is not running");
          }
          cluster.stopJettySolrRunner(runner);
          cluster.waitForJettyToStop(runner);
        } else {
          if (runner.isRunning()) {
            throw new IllegalStateException("node " + query.substring(5) + " is running");
          }
          cluster.startJettySolrRunner(runner, true);
          cluster.waitForNode(runner, 60);
          cluster.waitForActiveCollection(collection, 120, TimeUnit.SECONDS, shards, shards * replicas);
        }
        body = path.substring(1) + " node " + query.substring(5) + ": done\n";
      } else {
        code = 404;
        body = "GET /status, /stop?node=N or /start?node=N\n";
      }
    } catch (Exception e) {
      code = 500;
      body = e.toString() + "\n";
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
