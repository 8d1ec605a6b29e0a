/*
 * A Spark Connect server-side gRPC interceptor for the tests that checks the KBase token
 * of every call the way BERDL's servers do: the token comes from `authorization: Bearer`,
 * else `x-kbase-token`; it is validated against KBase Auth2 (KBASE_AUTH_URL) on every call,
 * without a cache; a missing or invalid token is UNAUTHENTICATED, and a token of a user other
 * than the server's owner (USER) is PERMISSION_DENIED. When KBASE_TEST_CALL_LOG names a file,
 * the name of every call's method is appended to it, one a line, so tests can count the
 * calls a kernel makes.
 *
 * Compiled by scripts/test against the jars of the pyspark package. Spark shades gRPC, so
 * the gRPC types come from org.sparkproject.connect.grpc.
 */
package org.kbase.test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.apache.spark.connect.proto.ExecutePlanRequest;
import org.sparkproject.connect.grpc.ForwardingServerCallListener;
import org.sparkproject.connect.grpc.Metadata;
import org.sparkproject.connect.grpc.ServerCall;
import org.sparkproject.connect.grpc.ServerCallHandler;
import org.sparkproject.connect.grpc.ServerInterceptor;
import org.sparkproject.connect.grpc.Status;

public class KBaseTokenCheck implements ServerInterceptor {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> KBASE_TOKEN =
      Metadata.Key.of("x-kbase-token", Metadata.ASCII_STRING_MARSHALLER);

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();
  private final String tokenUrl;
  private final String owner;
  private final Path callLog;

  public KBaseTokenCheck() {
    String base = System.getenv("KBASE_AUTH_URL");
    if (base == null || base.isEmpty()) {
      throw new IllegalStateException("KBASE_AUTH_URL must be set for the KBase token check");
    }
    this.tokenUrl = base.replaceAll("/+$", "") + "/api/V2/token";
    this.owner = System.getenv("USER");
    String log = System.getenv("KBASE_TEST_CALL_LOG");
    this.callLog = log == null || log.isEmpty() ? null : Path.of(log);
  }

  private synchronized void logCall(String method) {
    if (callLog == null) {
      return;
    }
    try {
      Files.writeString(callLog, method + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (Exception e) {
      // The log is for tests that count calls; a call goes on without it.
    }
  }

  /** Why a call was refused. */
  private static final class Refusal extends Exception {
    final Status status;

    Refusal(Status status) {
      super(status.getDescription(), null, false, false);
      this.status = status;
    }
  }

  private String tokenOf(Metadata headers) {
    String auth = headers.get(AUTHORIZATION);
    if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) && !auth.substring(7).isBlank()) {
      return auth.substring(7).trim();
    }
    String kbase = headers.get(KBASE_TOKEN);
    return kbase == null || kbase.isBlank() ? null : kbase.trim();
  }

  private String userOf(String token) throws Refusal {
    HttpResponse<String> response;
    try {
      HttpRequest request = HttpRequest.newBuilder(URI.create(tokenUrl))
          .timeout(Duration.ofSeconds(10))
          .header("Authorization", token)
          .GET()
          .build();
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new Refusal(Status.UNAVAILABLE.withDescription("KBase auth service unreachable"));
    }
    try {
      JsonNode body = json.readTree(response.body());
      if (response.statusCode() == 200 && body.hasNonNull("user")) {
        return body.get("user").asText();
      }
      String message = body.path("error").path("message").asText("token rejected");
      throw new Refusal(Status.UNAUTHENTICATED.withDescription("KBase token rejected: " + message));
    } catch (Refusal r) {
      throw r;
    } catch (Exception e) {
      throw new Refusal(Status.UNAUTHENTICATED.withDescription("KBase auth service gave an unreadable answer"));
    }
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    try {
      String token = tokenOf(headers);
      if (token == null) {
        throw new Refusal(Status.UNAUTHENTICATED.withDescription("no KBase token in the request"));
      }
      String user = userOf(token);
      if (owner != null && !owner.equals(user)) {
        throw new Refusal(Status.PERMISSION_DENIED.withDescription(
            "user " + user + " may not use the Spark Connect server of " + owner));
      }
      return logged(call, next.startCall(call, headers));
    } catch (Refusal r) {
      logCall(call.getMethodDescriptor().getBareMethodName());
      call.close(r.status, new Metadata());
      return new ServerCall.Listener<ReqT>() {};
    }
  }

  /**
   * Logs the call's method when its request arrives; the kernel's catalog look-ups for typing
   * help (ExecutePlan tagged kbase-spark-sql-assist) are logged as "ExecutePlan:assist", so
   * that tests counting a statement's calls can leave out the look-ups that run beside it.
   */
  private <ReqT, RespT> ServerCall.Listener<ReqT> logged(
      ServerCall<ReqT, RespT> call, ServerCall.Listener<ReqT> listener) {
    String method = call.getMethodDescriptor().getBareMethodName();
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<ReqT>(listener) {
      private boolean seen;

      @Override
      public void onMessage(ReqT message) {
        if (!seen) {
          seen = true;
          boolean assist = message instanceof ExecutePlanRequest request
              && request.getTagsList().contains("kbase-spark-sql-assist");
          logCall(assist ? method + ":assist" : method);
        }
        super.onMessage(message);
      }
    };
  }
}
