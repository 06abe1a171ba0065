//! The built-in framework "Collaborative Leadership" (version 1): the twelve behaviors of
//! Jesse Lyn Stoner's article "12 Things Collaborative Leaders Do", summarized and turned
//! into rater statements in our own words.

/// One behavior of the built-in framework.
pub struct SeedBehavior {
    pub key: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    pub indicators: &'static [&'static str],
}

pub const NAME: &str = "Collaborative Leadership";
pub const DESCRIPTION: &str = "A 360-degree feedback framework for collaborative leadership. Colleagues rate how strongly they agree that a leader shows twelve behaviors that build shared purpose, open communication and collaboration across boundaries.";
pub const SOURCE: &str = "Adapted from Jesse Lyn Stoner, \"12 Things Collaborative Leaders Do\" (blog article). Titles, summaries and indicators are paraphrased, not quoted.";

pub const BEHAVIORS: &[SeedBehavior] = &[
    SeedBehavior {
        key: "FLATTEN_THINGS",
        title: "Flattens the hierarchy",
        summary: "Replaces rigid top-down reporting lines with networks of people who work directly with one another, and keeps the gaps in pay and status between senior and junior roles modest.",
        indicators: &[
            "Builds working connections across teams instead of routing every request through formal reporting lines.",
            "Encourages people to contact whoever can help, regardless of rank.",
            "Judges ideas on their merits rather than on the seniority of the person who raised them.",
        ],
    },
    SeedBehavior {
        key: "ALLOW_LEADERSHIP_TO_EMERGE",
        title: "Lets leadership emerge",
        summary: "Gives up the urge to control every decision, trusting the shared purpose and the team. Roles shift as the work changes, and whoever is best placed to lead a given piece of work steps forward.",
        indicators: &[
            "Steps back so that others can take the lead when they are better placed to do so.",
            "Adjusts roles and responsibilities as the demands of the work change.",
            "Trusts team members to make decisions in their own area without checking every detail.",
        ],
    },
    SeedBehavior {
        key: "KNOW_THE_BUSINESS",
        title: "Knows the business and its wider context",
        summary: "Understands the organization's work in depth and keeps learning about developments beyond their own specialty, so they can spot emerging trends and opportunities early.",
        indicators: &[
            "Shows a solid grasp of how our organization works and creates value.",
            "Follows developments outside their own field and relates them to our work.",
            "Points out trends or opportunities that others had not yet noticed.",
        ],
    },
    SeedBehavior {
        key: "LIVE_IN_CURIOSITY",
        title: "Stays curious",
        summary: "Resists jumping to fast answers. Looks at the wider context and long-range consequences, gathers input from many sources, and asks questions that help others work out their own solutions.",
        indicators: &[
            "Asks questions that help people reach their own answers rather than handing out solutions.",
            "Considers long-term consequences before settling on a course of action.",
            "Gathers views and information from several sources before forming a judgment.",
        ],
    },
    SeedBehavior {
        key: "ASK_FOR_DIRECTIONS",
        title: "Asks for help",
        summary: "Is open about the limits of their own knowledge, comfortable letting others see their vulnerability, and willing to lean on colleagues for advice and support.",
        indicators: &[
            "Asks colleagues for help when facing something outside their expertise.",
            "Openly admits when they do not know the answer.",
            "Relies on the knowledge and support of others instead of trying to do everything alone.",
        ],
    },
    SeedBehavior {
        key: "CARE_ABOUT_PEOPLE",
        title: "Genuinely cares about people",
        summary: "Treats everyone with respect as a person, pays attention to their health and well-being, and builds personal connections with people at every level of the organization.",
        indicators: &[
            "Shows real interest in the well-being of the people they work with.",
            "Treats people with the same respect whatever their role or position.",
            "Takes time to get to know colleagues as individuals.",
        ],
    },
    SeedBehavior {
        key: "KNOW_WHO_THEY_ARE",
        title: "Knows who they are and what they stand for",
        summary: "Earns trust by acting in line with their values, accepts responsibility for the organization's results, and is prepared to hold a firm position or make a hard call when the situation requires it.",
        indicators: &[
            "Acts consistently with the values they express.",
            "Takes personal responsibility for outcomes, including disappointing ones.",
            "Makes difficult decisions when they are needed instead of postponing them.",
        ],
    },
    SeedBehavior {
        key: "SHARE_INFORMATION_AND_LEARNING",
        title: "Builds ways to share information and learning",
        summary: "Sets up the means for information to move freely and for power and decisions to be spread across the group, using everything from face-to-face meetings to online tools so people can talk across distance.",
        indicators: &[
            "Shares relevant information openly rather than keeping it within a small circle.",
            "Sets up channels, in person and online, that let colleagues in different places exchange ideas and lessons learned.",
            "Hands decisions to the people closest to the work.",
        ],
    },
    SeedBehavior {
        key: "DEMAND_DIALOGUE",
        title: "Insists on real dialogue",
        summary: "Brings people together to talk through shared concerns, and helps them build the cultural awareness and communication skills needed for productive conversation and joint problem solving.",
        indicators: &[
            "Brings the people affected by an issue together to discuss it.",
            "Helps colleagues build the communication skills needed for constructive discussion.",
            "Encourages people to understand perspectives shaped by backgrounds different from their own.",
        ],
    },
    SeedBehavior {
        key: "EXPECT_CREATIVE_SOLUTIONS",
        title: "Expects creative solutions, not compromise",
        summary: "Faces conflict calmly and equips the people in a disagreement to resolve it themselves, steering them toward inventive outcomes that serve the shared purpose and the whole organization instead of splitting the difference.",
        indicators: &[
            "Addresses conflict openly instead of avoiding it.",
            "Helps people in a disagreement resolve it themselves rather than imposing a decision.",
            "Pushes for solutions that serve the whole organization rather than settling for a middle-ground deal.",
        ],
    },
    SeedBehavior {
        key: "SEEK_OUT_DIVERSITY",
        title: "Seeks out diversity",
        summary: "Values differences among people and treats a varied mix of backgrounds and viewpoints as a source of strength, deliberately bringing different perspectives together to generate new ideas.",
        indicators: &[
            "Deliberately involves people with different backgrounds and viewpoints in important work.",
            "Welcomes viewpoints that differ from their own.",
            "Treats differences within the team as a source of new ideas.",
        ],
    },
    SeedBehavior {
        key: "OPEN_BOUNDARIES",
        title: "Opens boundaries while respecting independence",
        summary: "Extends collaboration beyond the organization to suppliers, partners and even competitors, sharing information generously while each party keeps its own independence, and sees other groups as part of a wider community.",
        indicators: &[
            "Builds working partnerships with people and groups outside our organization.",
            "Shares useful information with external partners where appropriate.",
            "Speaks respectfully about other organizations, including competitors.",
        ],
    },
];
