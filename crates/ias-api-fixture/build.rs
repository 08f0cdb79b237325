//! `ias_api_fixture`: set while this crate compiles `ias-api`'s runtime
//! modules (src/lib.rs), whose unit tests name the contract's own operations
//! and so run in `ias-api` only.

fn main() {
    println!("cargo::rustc-cfg=ias_api_fixture");
}
