/*
 * A Spark Connect server-side gRPC interceptor for the tests that checks database names the
 * way BERDL's servers do: an ExecutePlan whose SQL (the request's `query` field) creates a
 * database, schema or namespace is refused with PERMISSION_DENIED unless the name starts with
 * one of the prefixes in BERDL_ALLOWED_NAMESPACE_PREFIXES (comma-separated) or is `default`,
 * before the statement runs. The refusal's words are those of BERDL's server, which point
 * Python users at a helper of theirs; the kernel must tell SQL users what to do instead.
 *
 * Compiled by scripts/test beside KBaseTokenCheck.java against the jars of the pyspark package.
 */
package org.kbase.test;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.sparkproject.connect.grpc.ForwardingServerCallListener;
import org.sparkproject.connect.grpc.Metadata;
import org.sparkproject.connect.grpc.ServerCall;
import org.sparkproject.connect.grpc.ServerCallHandler;
import org.sparkproject.connect.grpc.ServerInterceptor;
import org.sparkproject.connect.grpc.Status;

public class KBaseNamespaceCheck implements ServerInterceptor {
  private static final Pattern CREATE =
      Pattern.compile("(?i)\\bCREATE\\s+(?:DATABASE|SCHEMA|NAMESPACE)\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?([`\"]?[^\\s;`\"]+[`\"]?)");

  private final List<String> prefixes = new ArrayList<>();

  public KBaseNamespaceCheck() {
    String given = System.getenv("BERDL_ALLOWED_NAMESPACE_PREFIXES");
    if (given != null) {
      for (String p : given.split(",")) {
        if (!p.isBlank()) {
          prefixes.add(p.trim().toLowerCase(Locale.ROOT));
        }
      }
    }
  }

  /** The SQL of a request, read from its text form as BERDL's interceptor reads it. */
  static String sqlOf(Object message) {
    String text = message.toString();
    int at = text.indexOf("query: \"");
    if (at < 0) {
      return null;
    }
    StringBuilder sql = new StringBuilder();
    for (int i = at + 8; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\' && i + 1 < text.length()) {
        sql.append(text.charAt(++i));
      } else if (c == '"') {
        break;
      } else {
        sql.append(c);
      }
    }
    return sql.toString();
  }

  String refusal(String sql) {
    Matcher m = CREATE.matcher(sql);
    if (!m.find()) {
      return null;
    }
    String name = m.group(1).replace("`", "").replace("\"", "").toLowerCase(Locale.ROOT);
    if (name.equals("default") || prefixes.stream().anyMatch(name::startsWith)) {
      return null;
    }
    return "Database name '" + name + "' is not allowed. "
        + "Unqualified Delta/Hive database names must start with one of the following prefixes: "
        + prefixes + ". Catalog-qualified Iceberg namespaces must use one of the following catalogs: []. "
        + "Use create_namespace_if_not_exists() to create databases with the correct prefix.";
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    if (!call.getMethodDescriptor().getFullMethodName().endsWith("/ExecutePlan")) {
      return next.startCall(call, headers);
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<ReqT>(next.startCall(call, headers)) {
      private boolean refused;

      @Override
      public void onMessage(ReqT message) {
        String sql = sqlOf(message);
        String why = sql == null ? null : refusal(sql);
        if (why != null) {
          refused = true;
          call.close(Status.PERMISSION_DENIED.withDescription(why), new Metadata());
          return;
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (!refused) {
          super.onHalfClose();
        }
      }

      @Override
      public void onCancel() {
        if (!refused) {
          super.onCancel();
        }
      }

      @Override
      public void onComplete() {
        if (!refused) {
          super.onComplete();
        }
      }

      @Override
      public void onReady() {
        if (!refused) {
          super.onReady();
        }
      }
    };
  }
}
