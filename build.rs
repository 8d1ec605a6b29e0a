//! Compiles the vendored Spark Connect protocol into Rust at build time.
//! protox parses the `.proto` files in pure Rust, so no system `protoc` is needed.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fds = protox::compile(["spark/connect/base.proto"], ["proto"])?;
    tonic_prost_build::configure()
        .build_server(false)
        .build_transport(false)
        // Result batches stay slices of the received frames (no copy of every batch).
        .bytes(".spark.connect.ExecutePlanResponse.ArrowBatch.data")
        .compile_fds(fds)?;
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}
