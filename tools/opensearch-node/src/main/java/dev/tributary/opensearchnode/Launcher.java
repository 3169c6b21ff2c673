package dev.tributary.opensearchnode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.core.common.transport.TransportAddress;
import org.opensearch.env.Environment;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * Runs one OpenSearch node on 127.0.0.1, security off, single-node
 * discovery, and prints its URL on standard output when it is up.
 *
 * <pre>
 * java -jar opensearch-node-1.0.0.jar HOME [HTTP_PORT] [--until-stdin-closes]
 * </pre>
 *
 * With --until-stdin-closes the node stops when standard input reaches its
 * end, so it dies with the process that started it (the tests); otherwise it
 * runs until it is killed (scripts/opensearch-node start).
 */
public final class Launcher {
    /** Node's constructor that takes classpath plugins is protected. */
    private static final class EmbeddedNode extends Node {
        EmbeddedNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
            super(environment, plugins, true);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: Launcher HOME [HTTP_PORT] [--until-stdin-closes]");
            System.exit(2);
        }
        Path home = Paths.get(args[0]).toAbsolutePath();
        String port = args.length > 1 && !args[1].startsWith("--") ? args[1] : "0";
        boolean untilStdinCloses = List.of(args).contains("--until-stdin-closes");
        Files.createDirectories(home.resolve("config"));
        Settings settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", "tributary-tests")
            .put("node.name", "tributary-node")
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", port)
            .put("transport.port", "0")
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("http.max_content_length", "200mb")
            .build();
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
            settings, Collections.emptyMap(), home.resolve("config"), () -> "tributary-node");
        Node node = new EmbeddedNode(environment, List.of(Netty4Plugin.class, CommonAnalysisPlugin.class));
        node.start();
        TransportAddress address = node.injector().getInstance(HttpServerTransport.class)
            .boundAddress().publishAddress();
        System.out.println("http://127.0.0.1:" + address.getPort());
        System.out.flush();
        if (untilStdinCloses) {
            while (System.in.read() != -1) {
                // Nothing to read: wait for the end.
            }
            node.close();
            System.exit(0);
        }
        Thread.currentThread().join();
    }
}
