//! The schemas of RFC 7643 §4 as this server serves them (§8.7.1): User, the Enterprise User
//! extension, Group, and the common attributes (§3.1) that no schema lists.

use std::sync::LazyLock;

use crate::schema::{
    Attribute, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, Kind, Mutability, Returned, Schema,
    USER_SCHEMA, Uniqueness,
};

/// The attributes every resource has (RFC 7643 §3.1), which no schema lists.
pub fn common_attributes() -> &'static [Attribute] {
    static COMMON: LazyLock<Vec<Attribute>> = LazyLock::new(|| {
        use Mutability::ReadOnly;
        let meta = |name, kind, description| {
            Attribute::new(name, kind, description)
                .exact()
                .mutable(ReadOnly)
        };
        vec![
            Attribute::string("id", "The server's unique identifier of the resource.")
                .exact()
                .mutable(ReadOnly)
                .returned(Returned::Always)
                .unique(Uniqueness::Server),
            Attribute::string("externalId", "The client's identifier of the resource.").exact(),
            Attribute::complex(
                "meta",
                "Resource metadata.",
                vec![
                    meta("resourceType", Kind::String, "The resource's type."),
                    meta("created", Kind::DateTime, "When it was created."),
                    meta("lastModified", Kind::DateTime, "When it last changed."),
                    meta("location", Kind::Reference, "Its URI.").refs(&["uri"]),
                    meta("version", Kind::String, "Its version (ETag)."),
                ],
            )
            .mutable(ReadOnly),
        ]
    });
    &COMMON
}

/// `value`, `display`, `type` (with `types` as canonical values) and `primary`: the shape of
/// most multi-valued attributes of a User (RFC 7643 §2.4).
fn multi_complex(
    name: &'static str,
    description: &'static str,
    value: Attribute,
    types: &[&'static str],
) -> Attribute {
    Attribute::complex(
        name,
        description,
        vec![
            value,
            Attribute::string("display", "A human-readable name, for display."),
            Attribute::string("type", "A label saying what the value is for.").canonical(types),
            Attribute::new(
                "primary",
                Kind::Boolean,
                "Whether this is the preferred value of the attribute.",
            ),
        ],
    )
    .multi()
}

fn value(description: &'static str) -> Attribute {
    Attribute::string("value", description)
}

fn name_attribute() -> Attribute {
    let s = Attribute::string;
    Attribute::complex(
        "name",
        "The components of the user's name.",
        vec![
            s("formatted", "The full name, formatted for display."),
            s(
                "familyName",
                "The family name (last name in most Western languages).",
            ),
            s(
                "givenName",
                "The given name (first name in most Western languages).",
            ),
            s("middleName", "The middle name(s)."),
            s(
                "honorificPrefix",
                "Title or salutation before the name (Ms.).",
            ),
            s("honorificSuffix", "Suffix after the name (III)."),
        ],
    )
}

fn addresses_attribute() -> Attribute {
    let s = Attribute::string;
    Attribute::complex(
        "addresses",
        "Physical mailing addresses.",
        vec![
            s("formatted", "The full address, formatted for display."),
            s("streetAddress", "Street, house number, and so on."),
            s("locality", "City or locality."),
            s("region", "State or region."),
            s("postalCode", "Postal code."),
            s("country", "Country, as an ISO 3166-1 alpha-2 code."),
            s("type", "A label saying what the address is for.")
                .canonical(&["work", "home", "other"]),
            Attribute::new(
                "primary",
                Kind::Boolean,
                "Whether this is the preferred address.",
            ),
        ],
    )
    .multi()
}

fn groups_attribute() -> Attribute {
    let read_only = |a: Attribute| a.mutable(Mutability::ReadOnly);
    read_only(
        Attribute::complex(
            "groups",
            "The groups the user belongs to, maintained by the server.",
            vec![
                read_only(value("The group's id.")),
                read_only(
                    Attribute::new("$ref", Kind::Reference, "The group's URI.")
                        .refs(&["User", "Group"]),
                ),
                read_only(Attribute::string("display", "The group's display name.")),
                read_only(
                    Attribute::string("type", "Whether membership is direct or indirect.")
                        .canonical(&["direct", "indirect"]),
                ),
            ],
        )
        .multi(),
    )
}

fn user_contact_attributes() -> Vec<Attribute> {
    vec![
        multi_complex(
            "emails",
            "E-mail addresses.",
            value("An e-mail address, canonicalized per RFC 5321."),
            &["work", "home", "other"],
        ),
        multi_complex(
            "phoneNumbers",
            "Phone numbers.",
            value("A phone number, preferably as an RFC 3966 tel URI."),
            &["work", "home", "mobile", "fax", "pager", "other"],
        ),
        multi_complex(
            "ims",
            "Instant messaging addresses.",
            value("An instant messaging address."),
            &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
        ),
        multi_complex(
            "photos",
            "URLs of images of the user.",
            Attribute::new("value", Kind::Reference, "The URL of an image.").refs(&["external"]),
            &["photo", "thumbnail"],
        ),
        addresses_attribute(),
    ]
}

fn user_attributes() -> Vec<Attribute> {
    let s = Attribute::string;
    let mut attributes = vec![
        s("userName", "The unique identifier the user signs in with.")
            .required()
            .unique(Uniqueness::Server),
        name_attribute(),
        s("displayName", "The name to display."),
        s("nickName", "The casual name to address the user by."),
        Attribute::new(
            "profileUrl",
            Kind::Reference,
            "The URL of an online profile.",
        )
        .refs(&["external"]),
        s("title", "The user's title, such as Vice President."),
        s(
            "userType",
            "The relation to the organization, such as Employee.",
        ),
        s(
            "preferredLanguage",
            "Preferred language, as in HTTP Accept-Language.",
        ),
        s("locale", "Locale for formatting, such as en-US."),
        s("timezone", "Time zone, in the IANA database format."),
        Attribute::new("active", Kind::Boolean, "Whether the user may sign in."),
        s(
            "password",
            "The cleartext password, to set it; never returned.",
        )
        .mutable(Mutability::WriteOnly)
        .returned(Returned::Never),
    ];
    attributes.extend(user_contact_attributes());
    attributes.push(groups_attribute());
    attributes.push(multi_complex(
        "entitlements",
        "Entitlements of the user.",
        value("An entitlement."),
        &[],
    ));
    attributes.push(multi_complex(
        "roles",
        "Roles of the user.",
        value("A role."),
        &[],
    ));
    attributes.push(multi_complex(
        "x509Certificates",
        "X.509 certificates of the user.",
        Attribute::new("value", Kind::Binary, "A DER-encoded certificate, base64."),
        &[],
    ));
    attributes
}

/// The core User schema (RFC 7643 §4.1).
pub fn user_schema() -> &'static Schema {
    static USER: LazyLock<Schema> = LazyLock::new(|| Schema {
        id: USER_SCHEMA,
        name: "User",
        description: "User Account",
        attributes: user_attributes(),
    });
    &USER
}

/// The Enterprise User extension (RFC 7643 §4.3).
pub fn enterprise_user_schema() -> &'static Schema {
    static ENTERPRISE: LazyLock<Schema> = LazyLock::new(|| {
        let s = Attribute::string;
        Schema {
            id: ENTERPRISE_USER_SCHEMA,
            name: "EnterpriseUser",
            description: "Enterprise User",
            attributes: vec![
                s(
                    "employeeNumber",
                    "The number the organization knows the user by.",
                ),
                s("costCenter", "The cost center."),
                s("organization", "The organization."),
                s("division", "The division."),
                s("department", "The department."),
                Attribute::complex(
                    "manager",
                    "The user's manager.",
                    vec![
                        value("The manager's id."),
                        Attribute::new("$ref", Kind::Reference, "The manager's URI.")
                            .refs(&["User"]),
                        s("displayName", "The manager's display name.")
                            .mutable(Mutability::ReadOnly),
                    ],
                ),
            ],
        }
    });
    &ENTERPRISE
}

/// The core Group schema (RFC 7643 §4.2). Members are users only: this server has no nested
/// groups.
pub fn group_schema() -> &'static Schema {
    static GROUP: LazyLock<Schema> = LazyLock::new(|| {
        use Mutability::Immutable;
        Schema {
            id: GROUP_SCHEMA,
            name: "Group",
            description: "Group",
            attributes: vec![
                Attribute::string("displayName", "A human-readable name for the group.").required(),
                Attribute::complex(
                    "members",
                    "The members of the group.",
                    vec![
                        value("The member's id.").mutable(Immutable),
                        Attribute::new("$ref", Kind::Reference, "The member's URI.")
                            .refs(&["User"])
                            .mutable(Immutable),
                        Attribute::string(
                            "display",
                            "The member's display name (returned when asked for).",
                        )
                        .mutable(Mutability::ReadOnly)
                        .returned(Returned::Request),
                        Attribute::string("type", "The member's resource type.")
                            .canonical(&["User"])
                            .mutable(Immutable),
                    ],
                )
                .multi(),
            ],
        }
    });
    &GROUP
}
