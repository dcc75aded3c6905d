//! `#[derive(ToJson)]` and `#[derive(FromJson)]` for kirim's core: a type's JSON shape from its
//! one declaration, read from the serde attributes it already carries (so serde and kirim cannot
//! disagree) or, on types that do not derive serde, the same attributes spelled `#[json(...)]`.
//!
//! The generated code is what the core's hand-listed impls were: calls into `kirim::write::Object`
//! (`field`, `str_field`) and the `kirim::read` object API (`req`, `opt`, `opt_alias`,
//! `or_default`, `or_else`, `deny_unknown`), fields in declaration order (the writer's output
//! order, and the order in which a reader reports the first mismatch).
//!
//! Understood (in `serde(...)` or `json(...)`):
//! - container: `rename_all = "snake_case" | "camelCase" | "lowercase" | "UPPERCASE" |
//!   "SCREAMING_SNAKE_CASE" | "kebab-case"`, `tag = "kind"` (internally tagged enums, writer only),
//!   `deny_unknown_fields` (reader refuses unknown keys); `json(as_str)` on a unit enum writes
//!   `self.as_str()` (the enum's own name table);
//! - field: `rename`, `alias` (reader), `default`, `default = "path"` (reader),
//!   `skip_serializing_if = "path"` (writer);
//! - variant: `rename`.
//!
//! Anything else in `serde(...)` (`with`, `flatten`, `untagged`, `transparent`, ...) is refused at
//! compile time: such a type keeps a hand-written impl, rather than a derive that would silently
//! write or read something serde does not.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{
    Attribute, Data, DeriveInput, Error, Fields, Ident, LitStr, Path, Result, Type,
    parse_macro_input,
};

#[proc_macro_derive(ToJson, attributes(serde, json))]
pub fn derive_to_json(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    to_json(&input)
        .unwrap_or_else(Error::into_compile_error)
        .into()
}

#[proc_macro_derive(FromJson, attributes(serde, json))]
pub fn derive_from_json(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    from_json(&input)
        .unwrap_or_else(Error::into_compile_error)
        .into()
}

// ---- attributes ---------------------------------------------------------------------------------

#[derive(Default)]
struct ContainerAttrs {
    rename_all: Option<(String, Span)>,
    tag: Option<String>,
    deny_unknown: bool,
    as_str: bool,
}

#[derive(Default)]
struct FieldAttrs {
    rename: Option<String>,
    aliases: Vec<String>,
    default: Option<Option<Path>>,
    skip_serializing_if: Option<Path>,
}

fn is_ours(attr: &Attribute) -> bool {
    attr.path().is_ident("serde") || attr.path().is_ident("json")
}

fn refuse(meta: &syn::meta::ParseNestedMeta<'_>) -> Error {
    let name = meta
        .path
        .get_ident()
        .map_or_else(|| "this".to_owned(), Ident::to_string);
    meta.error(format!(
        "kirim-derive does not understand `{name}`: write this type's JSON impl by hand"
    ))
}

fn container_attrs(attrs: &[Attribute]) -> Result<ContainerAttrs> {
    let mut out = ContainerAttrs::default();
    for attr in attrs.iter().filter(|a| is_ours(a)) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename_all") {
                let lit: LitStr = meta.value()?.parse()?;
                out.rename_all = Some((lit.value(), lit.span()));
            } else if meta.path.is_ident("tag") {
                out.tag = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if meta.path.is_ident("deny_unknown_fields") {
                out.deny_unknown = true;
            } else if meta.path.is_ident("as_str") && attr.path().is_ident("json") {
                out.as_str = true;
            } else {
                return Err(refuse(&meta));
            }
            Ok(())
        })?;
    }
    Ok(out)
}

fn field_attrs(attrs: &[Attribute]) -> Result<FieldAttrs> {
    let mut out = FieldAttrs::default();
    for attr in attrs.iter().filter(|a| is_ours(a)) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                out.rename = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if meta.path.is_ident("alias") {
                out.aliases.push(meta.value()?.parse::<LitStr>()?.value());
            } else if meta.path.is_ident("default") {
                out.default = Some(if meta.input.peek(syn::Token![=]) {
                    Some(meta.value()?.parse::<LitStr>()?.parse::<Path>()?)
                } else {
                    None
                });
            } else if meta.path.is_ident("skip_serializing_if") {
                let path = meta.value()?.parse::<LitStr>()?.parse::<Path>()?;
                out.skip_serializing_if = Some(path);
            } else {
                return Err(refuse(&meta));
            }
            Ok(())
        })?;
    }
    Ok(out)
}

/// The JSON name of a field or variant, as serde's `rename_all` spells it.
fn json_name(
    ident: &Ident,
    rename: Option<&String>,
    rename_all: Option<&(String, Span)>,
    is_variant: bool,
) -> Result<String> {
    if let Some(name) = rename {
        return Ok(name.clone());
    }
    let raw = ident.to_string();
    let name = raw.strip_prefix("r#").unwrap_or(&raw).to_owned();
    let Some((rule, span)) = rename_all else {
        return Ok(name);
    };
    // Variants are PascalCase and fields snake_case: both become words first.
    let snake = if is_variant {
        let mut snake = String::new();
        for (i, c) in name.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
        }
        snake
    } else {
        name.clone()
    };
    Ok(match rule.as_str() {
        "snake_case" => snake,
        "lowercase" if is_variant => name.to_ascii_lowercase(),
        "lowercase" => name.clone(),
        "UPPERCASE" => name.to_ascii_uppercase(),
        "SCREAMING_SNAKE_CASE" => snake.to_ascii_uppercase(),
        "kebab-case" => snake.replace('_', "-"),
        "camelCase" => {
            let mut camel = String::new();
            let mut upper = false;
            for c in snake.chars() {
                if c == '_' {
                    upper = true;
                } else if upper {
                    camel.push(c.to_ascii_uppercase());
                    upper = false;
                } else {
                    camel.push(c);
                }
            }
            camel
        }
        other => {
            return Err(Error::new(
                *span,
                format!("kirim-derive does not know rename_all = \"{other}\""),
            ));
        }
    })
}

/// Whether the field's type is `Option<...>` (read with `opt`: absent or `null` is `None`).
fn is_option(ty: &Type) -> bool {
    match ty {
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "Option"),
        _ => false,
    }
}

struct NamedField<'a> {
    ident: &'a Ident,
    ty: &'a Type,
    key: String,
    attrs: FieldAttrs,
}

fn named_fields<'a>(
    fields: &'a Fields,
    rename_all: Option<&(String, Span)>,
    what: &str,
) -> Result<Vec<NamedField<'a>>> {
    let Fields::Named(named) = fields else {
        if matches!(fields, Fields::Unit) {
            return Ok(Vec::new());
        }
        return Err(Error::new_spanned(
            fields,
            format!("kirim-derive: {what} needs named fields"),
        ));
    };
    let mut out = Vec::new();
    for field in &named.named {
        let Some(ident) = field.ident.as_ref() else {
            return Err(Error::new_spanned(field, "kirim-derive: unnamed field"));
        };
        let attrs = field_attrs(&field.attrs)?;
        let key = json_name(ident, attrs.rename.as_ref(), rename_all, false)?;
        out.push(NamedField {
            ident,
            ty: &field.ty,
            key,
            attrs,
        });
    }
    Ok(out)
}

// ---- ToJson -------------------------------------------------------------------------------------

/// One `object.field(...)` call for `value` (an expression of type `&FieldType`).
fn write_field(field: &NamedField<'_>, value: &TokenStream) -> TokenStream {
    let write = |value: &TokenStream| member(&field.key, value);
    match &field.attrs.skip_serializing_if {
        None => write(value),
        Some(path) if is_path(path, &["Option", "is_none"]) => {
            let write = write(&quote! { value });
            quote! {
                if let ::core::option::Option::Some(value) = #value {
                    #write
                }
            }
        }
        Some(path) if path.segments.last().is_some_and(|s| s.ident == "is_empty") => {
            let write = write(value);
            quote! {
                if !#value.is_empty() {
                    #write
                }
            }
        }
        Some(path) => {
            let write = write(value);
            quote! {
                if !#path(#value) {
                    #write
                }
            }
        }
    }
}

/// The statement that writes the member `key` with `value`: for a key that JSON holds as it is
/// (every key kirim writes), `"key":` is spelled out here, once, so that writing a body does not
/// scan and escape each key again.
fn member(key: &str, value: &TokenStream) -> TokenStream {
    if key.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        quote! { object.field(#key, #value); }
    } else {
        let prefix = format!("\"{key}\":");
        quote! { object.member(#prefix, #value); }
    }
}

fn is_path(path: &Path, names: &[&str]) -> bool {
    path.segments.len() == names.len()
        && path
            .segments
            .iter()
            .zip(names)
            .all(|(segment, name)| segment.ident == name)
}

fn to_json(input: &DeriveInput) -> Result<TokenStream> {
    let container = container_attrs(&input.attrs)?;
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let body = match &input.data {
        Data::Struct(_) if container.tag.is_some() => {
            return Err(Error::new_spanned(
                input,
                "kirim-derive: `tag` on a struct (serde writes the type's name) is not supported",
            ));
        }
        Data::Struct(data) => {
            let fields = named_fields(&data.fields, container.rename_all.as_ref(), "a struct")?;
            let writes = fields.iter().map(|field| {
                let ident = field.ident;
                write_field(field, &quote! { &self.#ident })
            });
            quote! {
                let mut object = ::kirim::write::Object::begin(out);
                #(#writes)*
                object.end();
            }
        }
        Data::Enum(data) => {
            if container.as_str {
                quote! { ::kirim::write::write_str(out, self.as_str()); }
            } else if let Some(tag) = &container.tag {
                let mut arms = Vec::new();
                for variant in &data.variants {
                    let attrs = field_attrs(&variant.attrs)?;
                    let vname = json_name(
                        &variant.ident,
                        attrs.rename.as_ref(),
                        container.rename_all.as_ref(),
                        true,
                    )?;
                    let ident = &variant.ident;
                    // Fields of a variant are spelled as written (serde's `rename_all` on an
                    // enum renames its variants only).
                    let fields = named_fields(&variant.fields, None, "a tagged variant")?;
                    let idents = fields.iter().map(|f| f.ident);
                    let writes = fields.iter().map(|field| {
                        let ident = field.ident;
                        write_field(field, &quote! { #ident })
                    });
                    let pattern = if matches!(variant.fields, Fields::Named(_)) {
                        quote! { #name::#ident { #(#idents),* } }
                    } else {
                        quote! { #name::#ident }
                    };
                    arms.push(quote! {
                        #pattern => {
                            object.str_field(#tag, #vname);
                            #(#writes)*
                        }
                    });
                }
                quote! {
                    let mut object = ::kirim::write::Object::begin(out);
                    match self {
                        #(#arms)*
                    }
                    object.end();
                }
            } else {
                let arms = unit_variants(data, &container)?
                    .into_iter()
                    .map(|(ident, vname)| quote! { #name::#ident => #vname, });
                quote! {
                    ::kirim::write::write_str(out, match *self { #(#arms)* });
                }
            }
        }
        Data::Union(_) => return Err(Error::new_spanned(input, "kirim-derive: no unions")),
    };
    Ok(quote! {
        impl #impl_generics ::kirim::write::ToJson for #name #ty_generics #where_clause {
            fn write_json(&self, out: &mut ::std::string::String) {
                #body
            }
        }
    })
}

/// The variants of a string enum and their JSON names; any variant with fields is refused.
fn unit_variants<'a>(
    data: &'a syn::DataEnum,
    container: &ContainerAttrs,
) -> Result<Vec<(&'a Ident, String)>> {
    let mut out = Vec::new();
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            return Err(Error::new_spanned(
                variant,
                "kirim-derive: a variant with fields needs `tag = \"...\"`",
            ));
        }
        let attrs = field_attrs(&variant.attrs)?;
        let vname = json_name(
            &variant.ident,
            attrs.rename.as_ref(),
            container.rename_all.as_ref(),
            true,
        )?;
        out.push((&variant.ident, vname));
    }
    Ok(out)
}

// ---- FromJson -----------------------------------------------------------------------------------

fn from_json(input: &DeriveInput) -> Result<TokenStream> {
    let container = container_attrs(&input.attrs)?;
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let body = match &input.data {
        Data::Struct(data) => {
            let fields = named_fields(&data.fields, container.rename_all.as_ref(), "a struct")?;
            let deny = container.deny_unknown.then(|| {
                let known = fields
                    .iter()
                    .flat_map(|f| std::iter::once(&f.key).chain(&f.attrs.aliases));
                quote! { o.deny_unknown(&[#(#known),*])?; }
            });
            let reads = read_fields(input, &fields)?;
            quote! {
                let o = value.object()?;
                #deny
                ::core::result::Result::Ok(#name { #(#reads)* })
            }
        }
        Data::Enum(data) => {
            if let Some(tag) = &container.tag {
                return tagged_from_json(input, data, &container, tag);
            }
            let (idents, names): (Vec<_>, Vec<_>) =
                unit_variants(data, &container)?.into_iter().unzip();
            quote! {
                const NAMES: &[&str] = &[#(#names),*];
                const VARIANTS: &[#name] = &[#(#name::#idents),*];
                let index = value.variant(NAMES)?;
                VARIANTS
                    .get(index)
                    .copied()
                    .ok_or_else(|| value.mismatch("unknown variant"))
            }
        }
        Data::Union(_) => return Err(Error::new_spanned(input, "kirim-derive: no unions")),
    };
    Ok(quote! {
        impl #impl_generics ::kirim::read::FromJson for #name #ty_generics #where_clause {
            fn from_json(value: &::kirim::read::Val<'_>) -> ::kirim::read::Read<Self> {
                #body
            }
        }
    })
}

/// `field: o.how("key")?,` for each field, in declaration order.
fn read_fields(input: &DeriveInput, fields: &[NamedField<'_>]) -> Result<Vec<TokenStream>> {
    if fields
        .iter()
        .any(|f| !f.attrs.aliases.is_empty() && !is_option(f.ty))
    {
        return Err(Error::new_spanned(
            input,
            "kirim-derive: an aliased field must be an Option",
        ));
    }
    Ok(fields
        .iter()
        .map(|field| {
            let ident = field.ident;
            let key = &field.key;
            let aliases = &field.attrs.aliases;
            let read = match &field.attrs.default {
                Some(Some(path)) => quote! { o.or_else(#key, #path)? },
                _ if !aliases.is_empty() => quote! { o.opt_alias(&[#key, #(#aliases),*])? },
                _ if is_option(field.ty) => quote! { o.opt(#key)? },
                Some(None) => quote! { o.or_default(#key)? },
                None => quote! { o.req(#key)? },
            };
            quote! { #ident: #read, }
        })
        .collect())
}

/// An internally tagged enum (`tag = "type"`): the tag read as a string enum of its own, then
/// the variant's fields from the same object (unknown keys ignored, as serde does).
fn tagged_from_json(
    input: &DeriveInput,
    data: &syn::DataEnum,
    container: &ContainerAttrs,
    tag: &str,
) -> Result<TokenStream> {
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let mut names = Vec::new();
    let mut tags = Vec::new();
    let mut arms = Vec::new();
    for variant in &data.variants {
        let attrs = field_attrs(&variant.attrs)?;
        names.push(json_name(
            &variant.ident,
            attrs.rename.as_ref(),
            container.rename_all.as_ref(),
            true,
        )?);
        let ident = &variant.ident;
        tags.push(ident);
        let fields = named_fields(&variant.fields, None, "a tagged variant")?;
        let reads = read_fields(input, &fields)?;
        arms.push(if matches!(variant.fields, Fields::Named(_)) {
            quote! { Tag::#ident => #name::#ident { #(#reads)* }, }
        } else {
            quote! { Tag::#ident => #name::#ident, }
        });
    }
    Ok(quote! {
        impl #impl_generics ::kirim::read::FromJson for #name #ty_generics #where_clause {
            fn from_json(value: &::kirim::read::Val<'_>) -> ::kirim::read::Read<Self> {
                #[derive(Clone, Copy)]
                enum Tag { #(#tags),* }
                impl ::kirim::read::FromJson for Tag {
                    fn from_json(value: &::kirim::read::Val<'_>) -> ::kirim::read::Read<Self> {
                        const NAMES: &[&str] = &[#(#names),*];
                        const VARIANTS: &[Tag] = &[#(Tag::#tags),*];
                        let index = value.variant(NAMES)?;
                        VARIANTS
                            .get(index)
                            .copied()
                            .ok_or_else(|| value.mismatch("unknown variant"))
                    }
                }
                let o = value.object()?;
                let tag: Tag = o.req(#tag)?;
                ::core::result::Result::Ok(match tag { #(#arms)* })
            }
        }
    })
}

// ---- export -------------------------------------------------------------------------------------

/// `#[kirim_derive::export(uniffi = Record, ts, python(frozen, eq, module = "kirim"))]` on a
/// model type: the bindings' attributes it stands for, each behind the core's feature of the
/// same name (`uniffi = Record | Enum`: `derive(uniffi::Record | uniffi::Enum)`; `ts`:
/// `derive(ts_rs::TS)`; `python(...)`: `pyo3::pyclass(...)`, arguments as written). Place it
/// before `#[derive]`. On a field, `#[export(optional)]` stands for a field every language may
/// leave out: `#[serde(default)]`, and behind their features `ts(optional = nullable)` and
/// `uniffi(default)`.
#[proc_macro_attribute]
pub fn export(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    let mut input = parse_macro_input!(item as DeriveInput);
    let mut uniffi: Option<Ident> = None;
    let mut ts = false;
    let mut python: Option<TokenStream> = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("uniffi") {
            let kind: Ident = meta.value()?.parse()?;
            if kind != "Record" && kind != "Enum" {
                return Err(meta.error("uniffi = Record or uniffi = Enum"));
            }
            uniffi = Some(kind);
        } else if meta.path.is_ident("ts") {
            ts = true;
        } else if meta.path.is_ident("python") {
            let content;
            syn::parenthesized!(content in meta.input);
            python = Some(content.parse()?);
        } else {
            return Err(meta.error("kirim-derive export: uniffi = ..., ts or python(...)"));
        }
        Ok(())
    });
    parse_macro_input!(args with parser);
    if let Err(error) = expand_optional_fields(&mut input) {
        return error.to_compile_error().into();
    }
    let mut attrs: Vec<Attribute> = Vec::new();
    if let Some(kind) = uniffi {
        attrs.push(syn::parse_quote!(#[cfg_attr(feature = "uniffi", derive(uniffi::#kind))]));
    }
    // Before the item's own attributes: a `ts(...)` among them needs the derive introduced.
    if ts {
        attrs.push(syn::parse_quote!(#[cfg_attr(feature = "ts", derive(ts_rs::TS))]));
    }
    attrs.append(&mut input.attrs);
    if let Some(args) = python {
        attrs.push(syn::parse_quote!(#[cfg_attr(feature = "python", pyo3::pyclass(#args))]));
    }
    input.attrs = attrs;
    quote!(#input).into()
}

/// Replaces each field's `#[export(optional)]`, in place, by the attributes it stands for.
fn expand_optional_fields(input: &mut DeriveInput) -> syn::Result<()> {
    let syn::Data::Struct(data) = &mut input.data else {
        return Ok(());
    };
    for field in data.fields.iter_mut() {
        let mut attrs: Vec<Attribute> = Vec::with_capacity(field.attrs.len());
        for attr in std::mem::take(&mut field.attrs) {
            if !attr.path().is_ident("export") {
                attrs.push(attr);
                continue;
            }
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("optional") {
                    Ok(())
                } else {
                    Err(meta.error("a field's export takes only `optional`"))
                }
            })?;
            attrs.push(syn::parse_quote!(#[serde(default)]));
            attrs.push(syn::parse_quote!(#[cfg_attr(feature = "ts", ts(optional = nullable))]));
            attrs.push(syn::parse_quote!(#[cfg_attr(feature = "uniffi", uniffi(default))]));
        }
        field.attrs = attrs;
    }
    Ok(())
}
