//! Generates the `i18n` module from `locales/*.json`, checked at compile time: leptos_i18n's own
//! parser and code generator, which is all `leptos_i18n_build` runs for this (its ICU data export,
//! unused with `icu_compiled_data`, would add some 70 crates to every build).
use leptos_i18n_parser::parse_locales::{
    options::{Config, ParseOptions},
    parse_locales,
};
use std::{error::Error, fs, path::PathBuf};

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=Cargo.toml");
    // The migrations are embedded by `sqlx::migrate!`: a new file must rebuild the crate.
    println!("cargo::rerun-if-changed=migrations");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR unset")?).join("i18n");
    // interpolate_display: error messages with values are also needed as plain strings.
    let options = ParseOptions::default().interpolate_display(true);
    let config = Config::new("en")?.add_locale("fr")?.parse_options(options);
    let parsed = parse_locales(None, config)?;
    for warning in parsed.diag.warnings().iter() {
        println!("cargo::warning={warning}");
    }
    for error in parsed.diag.errors().iter() {
        println!("cargo::error={error}");
    }
    for path in parsed.tracked_files.iter().flatten() {
        println!("cargo::rerun-if-changed={path}");
    }
    // (locales, crate path, diagnostics as code, top-level attributes, docs): as leptos_i18n_build
    let code = leptos_i18n_codegen::gen_code(&parsed, None, false, None, true)?;
    fs::create_dir_all(&out)?;
    fs::write(out.join("mod.rs"), code.to_string())?;
    Ok(())
}
