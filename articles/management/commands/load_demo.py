import io
import secrets
from datetime import timedelta

import reversion
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageDraw

from articles import workflow
from articles.images import process_upload
from articles.models import (
    Article,
    Author,
    Byline,
    Correction,
    CorrectionKind,
    Image,
    PullQuote,
    Quote,
    Section,
    Speaker,
    Status,
    Tag,
    Update,
)

# One password for the demo accounts, made on first run and kept out of git, so a
# demo left running on a reachable machine does not have a password everyone knows.
PASSWORD_FILE = settings.BASE_DIR / ".demo-password"

DEMO_ACCOUNTS = [
    # username, full name, role (group), superuser
    ("admin", "Ada Admin", "Site admin", True),
    ("editor", "Edith Editor", "Editor", False),
    ("writer", "Walt Writer", "Writer", False),
    ("fundraising", "Fran Fundraiser", "Fundraising", False),
]

SECTIONS = [
    ("Politics", "politics"),
    ("Education", "education"),
    ("Environment", "environment"),
]

AUTHORS = [
    # name, slug, title, bio, demo account
    (
        "Walt Writer",
        "walt-writer",
        "City hall reporter",
        "Walt covers the city council and the county budget.",
        "writer",
    ),
    (
        "Maria Gonzalez",
        "maria-gonzalez",
        "Education reporter",
        "Maria has covered public schools for eight years.",
        None,
    ),
    (
        "Sam Okafor",
        "sam-okafor",
        "Environment reporter",
        "Sam reports on water, weather and the river.",
        None,
    ),
]

TAGS = ["City council", "Budget", "Flooding", "Schools", "Teachers", "Weather"]

# Colours for demo images drawn with Pillow: sky, ground, accent.
PICTURES = {
    "river": ((110, 150, 190), (60, 90, 70), (40, 70, 120)),
    "council": ((200, 190, 170), (120, 90, 70), (150, 30, 30)),
    "school": ((170, 200, 230), (200, 160, 80), (180, 60, 40)),
}

PARAGRAPH = "<p>{}</p>"


def body_html(slug):
    return "".join(
        part if part.startswith("<") else PARAGRAPH.format(part)
        for part in BODIES[slug]
    )


ARTICLES = [
    # slug, headline, dek, section, tags, authors, picture, state, age
    (
        "city-council-approves-new-budget",
        "City council approves budget with more money for libraries",
        "After three hours of public comment, the council voted 7-2 for longer "
        "weekend library hours.",
        "politics",
        ["City council", "Budget"],
        ["walt-writer"],
        "council",
        Status.PUBLISHED,
        timedelta(hours=3),
    ),
    (
        "river-flood-warning-issued",
        "Flood warning issued as the river rises after two days of rain",
        "The National Weather Service expects the river to crest Thursday morning.",
        "environment",
        ["Flooding", "Weather"],
        ["sam-okafor", "walt-writer"],
        "river",
        Status.PUBLISHED,
        timedelta(hours=7),
    ),
    (
        "school-district-teacher-shortage",
        "Inside the school district's year-long struggle to hire teachers",
        "Dozens of classrooms started the year with substitutes. Here is why.",
        "education",
        ["Schools", "Teachers"],
        ["maria-gonzalez"],
        "school",
        Status.PUBLISHED,
        timedelta(days=2),
    ),
    (
        "bus-routes-change-in-january",
        "Bus routes will change in January. Here is what riders need to know",
        "Three routes merge and one is cut, the transit board decided.",
        "politics",
        ["City council"],
        ["walt-writer"],
        None,
        "scheduled",
        -timedelta(days=1),
    ),
    (
        "school-board-election-guide",
        "Your guide to the school board election",
        "Six candidates for three seats: where they stand.",
        "education",
        ["Schools"],
        ["maria-gonzalez"],
        None,
        Status.IN_REVIEW,
        None,
    ),
    (
        "water-rates-draft",
        "Water rates may rise for the first time in a decade",
        "",
        None,
        [],
        ["walt-writer"],
        None,
        Status.DRAFT,
        None,
    ),
    (
        "old-stadium-plan",
        "Stadium plan shelved",
        "The proposal is off the table for now.",
        "politics",
        [],
        ["walt-writer"],
        None,
        Status.UNPUBLISHED,
        timedelta(days=20),
    ),
    # More of the archive, so that section pages, related stories and search have
    # something to show.
    (
        "library-sunday-hours-begin",
        "Libraries open on Sundays for the first time in a decade",
        "Four branches will stay open from noon to five, paid for by the new budget.",
        "politics",
        ["City council", "Budget"],
        ["walt-writer"],
        "council",
        Status.PUBLISHED,
        timedelta(days=4),
    ),
    (
        "river-cleanup-volunteers",
        "Hundreds of volunteers pull tires and trash from the river",
        "The yearly cleanup drew its biggest crowd yet, and a few surprises.",
        "environment",
        ["Flooding"],
        ["sam-okafor"],
        "river",
        Status.PUBLISHED,
        timedelta(days=9),
    ),
    (
        "teachers-union-contract",
        "Teachers and the district reach a three-year contract",
        "Raises of 4 percent a year, and smaller classes in kindergarten.",
        "education",
        ["Schools", "Teachers"],
        ["maria-gonzalez"],
        "school",
        Status.PUBLISHED,
        timedelta(days=12),
    ),
    (
        "storm-drain-fees",
        "Why your storm drain fee is going up",
        "The city says old pipes cannot handle heavier rain. Here is the math.",
        "environment",
        ["Weather", "Budget"],
        ["sam-okafor", "walt-writer"],
        None,
        Status.PUBLISHED,
        timedelta(days=35),
    ),
    (
        "school-lunch-prices",
        "School lunch prices stay flat this year",
        "A state grant covers the rising cost of food, for now.",
        "education",
        ["Schools"],
        ["maria-gonzalez"],
        None,
        Status.PUBLISHED,
        timedelta(days=48),
    ),
    (
        "mayor-names-new-police-chief",
        "Mayor names the first woman to lead the police department",
        "Deputy Chief Carla Mendes rose from patrol officer in 22 years.",
        "politics",
        ["City council"],
        ["walt-writer"],
        None,
        Status.PUBLISHED,
        timedelta(days=6),
    ),
    (
        "council-debates-short-term-rentals",
        "Council weighs limits on short-term rentals",
        "Hosts could rent out only the home they live in, under the proposal.",
        "politics",
        ["City council"],
        ["walt-writer"],
        "council",
        Status.PUBLISHED,
        timedelta(days=15),
    ),
    (
        "polling-places-move",
        "Eleven polling places move out of schools",
        "Voters whose polling place changes will get a card in the mail.",
        "politics",
        [],
        ["walt-writer"],
        None,
        Status.PUBLISHED,
        timedelta(days=22),
    ),
    (
        "high-school-robotics-team",
        "A robot built from a dishwasher wins the state championship",
        "Lincoln High's second-year team beat 48 others and heads to the nationals.",
        "education",
        ["Schools"],
        ["maria-gonzalez"],
        "school",
        Status.PUBLISHED,
        timedelta(days=5),
    ),
    (
        "after-school-program-expands",
        "Free after-school program comes to six more schools",
        "A federal grant pays for homework help and play until 6 p.m.",
        "education",
        ["Schools"],
        ["maria-gonzalez"],
        None,
        Status.PUBLISHED,
        timedelta(days=18),
    ),
    (
        "district-budget-gap",
        "School district faces a $6 million gap as federal money runs out",
        "Closing a half-empty middle school is one of the options.",
        "education",
        ["Schools", "Budget"],
        ["maria-gonzalez"],
        None,
        Status.PUBLISHED,
        timedelta(days=27),
    ),
    (
        "tree-canopy-plan",
        "Ten thousand trees for the neighborhoods that have the fewest",
        "The parks board's plan starts where summer afternoons are hottest.",
        "environment",
        ["Weather"],
        ["sam-okafor"],
        "river",
        Status.PUBLISHED,
        timedelta(days=8),
    ),
    (
        "lead-pipes-replacement",
        "Every lead water pipe in the city will be replaced by 2030",
        "Homeowners pay nothing; neighborhoods with young children come first.",
        "environment",
        [],
        ["sam-okafor"],
        None,
        Status.PUBLISHED,
        timedelta(days=14),
    ),
    (
        "wetland-restoration-begins",
        "Old farmland becomes a wetland to hold back floods",
        "The 80-acre project on the east bank will take three years.",
        "environment",
        ["Flooding"],
        ["sam-okafor"],
        None,
        Status.PUBLISHED,
        timedelta(days=30),
    ),
]

# Each story's body: a list of parts; a part that starts with "<" is HTML as written,
# any other is one paragraph. No two stories share a body.
BODIES = {
    "city-council-approves-new-budget": [
        "The city council approved a $412 million budget early Tuesday, after more "
        "than three hours of public comment in which residents asked, one after "
        "another, for longer library hours and safer streets near schools.",
        "The vote was 7-2. Council members Marcus Bell and Ruth Adeyemi voted no, "
        "saying the plan leans on one-time federal money that runs out in two years.",
        "“We heard you,” council president Dana Whitfield said before the vote. "
        "“This budget reflects what people told us they need.”",
        "<h2>What changes</h2>",
        "<ul><li>Four libraries open on Sundays, from noon to five, starting in "
        "March.</li><li>Two new crossing guards near Lincoln and Garfield elementary "
        "schools.</li><li>Repaving of Front Street moves up to next summer.</li>"
        '<li>The storm drain fee rises by $3 a month (see <a href="/tag/budget/">'
        "our budget coverage</a>).</li></ul>",
        "The budget takes effect on Jan. 1. The full document is on the "
        '<a href="https://example.org/city/budget">city\'s website</a>, and the '
        "council will hold a mid-year review in June.",
    ],
    "river-flood-warning-issued": [
        "The National Weather Service issued a flood warning for the river on "
        "Tuesday afternoon, after two days of steady rain pushed the water four feet "
        "above its usual level.",
        "Forecasters expect the river to crest at 27 feet on Thursday morning, a "
        "foot below the record set in 2019. Low-lying streets in the Riverside "
        "neighborhood could flood before then.",
        "Evacuation is voluntary for now. The city has opened two shelters, at "
        "Lincoln High School and the Civic Center, and both accept pets.",
        "<h2>If you live near the river</h2>",
        "<ol><li>Move cars and valuables to higher ground tonight.</li>"
        "<li>Pick up free sandbags at the public works yard on Mill Road.</li>"
        "<li>Sign up for the county's emergency text alerts.</li></ol>",
        "River levels are updated every hour on the "
        '<a href="https://example.org/river-gauge">weather service\'s gauge page</a>. '
        "We will keep this story updated as the water rises.",
    ],
    "school-district-teacher-shortage": [
        "When school started in August, 42 classrooms in the district had no "
        "permanent teacher. Four months later, 31 still don't.",
        "The shortage is sharpest in special education, math and science, where "
        "some positions have been open for more than a year. In those rooms, "
        "substitutes who are paid by the day teach from lesson plans written by "
        "teachers down the hall.",
        "Superintendent Lena Moss says the district has tried nearly everything: "
        "signing bonuses of $5,000, help with rent for new teachers, and a hiring "
        "process that now takes two weeks instead of two months.",
        "Parents say the churn shows. “My daughter has had five different people "
        "at the front of her algebra class,” said Teresa Lund, whose daughter is "
        "in eighth grade. “Nobody knows where they left off.”",
        "<h2>Where the openings are</h2>",
        "<table><thead><tr><th>Subject</th><th>Open positions</th></tr></thead>"
        "<tbody><tr><td>Special education</td><td>12</td></tr>"
        "<tr><td>Math</td><td>9</td></tr><tr><td>Science</td><td>6</td></tr>"
        "<tr><td>Other</td><td>4</td></tr></tbody></table>",
        "The district posts its openings on its "
        '<a href="https://example.org/district/jobs">jobs page</a>.',
    ],
    "bus-routes-change-in-january": [
        "Three bus routes will merge into one and Route 14 will stop running on "
        "Jan. 6, the transit board decided on Wednesday.",
        "The new Route 3 will run every 15 minutes between the train station and "
        "the hospital, along the streets that Routes 3, 7 and 9 share today.",
        "Riders of Route 14, which carried fewer than 200 people a day, will be "
        "offered a ride-share voucher for trips the new routes do not cover.",
        "<ul><li>Route 3, 7 and 9 riders: same stops, new number.</li>"
        "<li>Route 14 riders: call the transit office for a voucher.</li></ul>",
    ],
    "school-board-election-guide": [
        "Six candidates are running for three seats on the school board on Nov. 4. "
        "We asked each of them the same five questions.",
        "Their answers, lightly edited for length, are below, in the order the "
        "candidates appear on the ballot.",
    ],
    "water-rates-draft": [
        "Water bills may rise for the first time in ten years, under a proposal "
        "city staff will bring to the council next month.",
    ],
    "old-stadium-plan": [
        "The council has set aside the plan for a new stadium on the east bank, "
        "after the developer asked for a larger tax break than the city offered.",
        "Supporters say the plan could return next year.",
    ],
    "library-sunday-hours-begin": [
        "For the first time in ten years, four of the city's libraries opened their "
        "doors on a Sunday, and by one o'clock the children's room at the Central "
        "branch was full.",
        "The new hours, from noon to five, are paid for by the budget the council "
        "approved this month. The branches are Central, Eastside, Riverside and "
        "Maple Park.",
        "“Sunday is the only day a lot of working families can come,” said the "
        "library director, Ana Ruiz. “We used to see them at the door reading the "
        "sign.”",
        "The library will count visitors through the spring and report back to the "
        "council in June. Hours for every branch are on the "
        '<a href="https://example.org/library/hours">library\'s website</a>.',
    ],
    "river-cleanup-volunteers": [
        "More than 400 volunteers spent Saturday morning pulling trash out of the "
        "river, the largest turnout in the cleanup's 15 years.",
        "By noon they had filled two dumpsters. The haul included 61 tires, a "
        "shopping cart, three bicycles and, to the delight of a group of Scouts, a "
        "parking meter.",
        "<ul><li>61 tires</li><li>3 bicycles</li><li>1 shopping cart</li>"
        "<li>About 4 tons of other trash</li></ul>",
        "The cleanup is organized by the Friends of the River, who say the number "
        "of tires has fallen by half since the county started taking them free of "
        "charge. The next cleanup is in April; volunteers can "
        '<a href="https://example.org/friends-of-the-river">sign up online</a>.',
    ],
    "teachers-union-contract": [
        "Teachers will get raises of 4 percent a year for three years under a "
        "contract the union and the district signed on Thursday, ending eight "
        "months of talks.",
        "The deal also caps kindergarten classes at 20 children, down from 24, and "
        "gives every teacher an extra planning period each week.",
        "Union members approved the contract by 91 percent. The school board is "
        "expected to ratify it on Monday.",
        "<h2>What is in the contract</h2>",
        "<ul><li>Raises of 4 percent in each of the three years.</li>"
        "<li>Kindergarten classes of no more than 20.</li>"
        "<li>One more planning period a week.</li>"
        "<li>Paid parental leave of eight weeks.</li></ul>",
        "The full contract will be posted on the "
        '<a href="https://example.org/district/contracts">district\'s website</a> '
        "once the board votes.",
    ],
    "storm-drain-fees": [
        "If your storm drain fee went up this month, this is why: the pipes under "
        "the city were built for the rain of the 1960s, and the rain has changed.",
        "The city's engineers say the heaviest storms now drop a third more water "
        "in an hour than they did fifty years ago. Pipes that size cannot carry it, "
        "so streets flood and basements fill.",
        "The fee pays for replacing the oldest pipes, about two miles a year. At "
        "that pace the work will take 20 years.",
        "<h2>The math</h2>",
        "<ul><li>Old fee: $9 a month for a typical house.</li>"
        "<li>New fee: $12 a month.</li><li>What it raises: $4.1 million a year.</li>"
        "</ul>",
        "You can look up your property's fee, and how it is calculated, on the "
        '<a href="https://example.org/city/stormwater">public works page</a>.',
    ],
    "school-lunch-prices": [
        "School lunch will cost $2.75 again this year, the same as last year, "
        "thanks to a state grant that covers the rising price of food.",
        "Without the grant, the district says, the price would have gone up by 40 "
        "cents. The grant runs out after this school year.",
        "Families who qualify for free or reduced-price meals can apply at any "
        "time during the year, not only in the fall.",
    ],
    "mayor-names-new-police-chief": [
        "The mayor named Deputy Chief Carla Mendes as the city's next police chief "
        "on Friday, the first woman to lead the department.",
        "Mendes, who joined the department as a patrol officer 22 years ago, has "
        "run its community policing unit since 2020.",
        "“I know these streets because I walked them,” she said at City Hall. Her "
        "first priority, she said, is filling 30 open officer positions.",
        "The council must confirm the appointment. A public hearing is set for "
        "Dec. 15; written comments can be sent to the "
        '<a href="https://example.org/city/clerk">city clerk</a>.',
    ],
    "council-debates-short-term-rentals": [
        "Owners of short-term rentals would need a city license and could rent out "
        "only their own home, under rules the council debated for two hours on "
        "Monday.",
        "Supporters say whole houses rented by the night have taken hundreds of "
        "homes off the market. Hosts say the rental income is what lets them keep "
        "their homes.",
        "<ul><li>A yearly license of $150.</li><li>Only a host's primary residence."
        "</li><li>Fines of up to $1,000 a night for unlicensed rentals.</li></ul>",
        "The council will vote in January.",
    ],
    "polling-places-move": [
        "Eleven polling places will move before the next election, most of them "
        "out of schools, the county election office said.",
        "Voters whose polling place changes will get a card in the mail. Everyone "
        "can check on the "
        '<a href="https://example.org/county/elections">county election site</a>.',
        "Schools asked to stop serving as polling places after a review of building "
        "security, the election director said.",
    ],
    "high-school-robotics-team": [
        "A team of eleven students from Lincoln High School won the state robotics "
        "championship on Saturday, with a robot they built out of parts from a "
        "broken dishwasher and a donated wheelchair.",
        "The team, in only its second year, beat 48 others. It now heads to the "
        "national finals in April.",
        "“We didn't have the budget the other teams had,” said team captain "
        "Priya Nair, a junior. “So we had to be cleverer.”",
        "The team is raising money for the trip through the school's booster club.",
    ],
    "after-school-program-expands": [
        "The district's free after-school program will open at six more "
        "elementary schools in January, paid for by a three-year federal grant.",
        "The program runs until 6 p.m. and includes homework help, a snack and an "
        "hour of outdoor play.",
        "<ul><li>Garfield</li><li>Maple Park</li><li>Washington</li>"
        "<li>Eastside</li><li>Hillcrest</li><li>Oak Grove</li></ul>",
        "Registration opens Dec. 1 at each school's front office.",
    ],
    "district-budget-gap": [
        "The school district faces a $6 million gap in next year's budget, "
        "officials told the board on Tuesday, as federal pandemic money runs out.",
        "Options on the table include closing one of two half-empty middle schools "
        "and cutting central office jobs. No classroom positions would be cut, the "
        "superintendent said.",
        "The board will hold listening sessions at each middle school in January "
        "before it votes in March.",
    ],
    "tree-canopy-plan": [
        "The city will plant 10,000 trees over the next ten years, most of them in "
        "neighborhoods that have the fewest today, under a plan the parks board "
        "adopted Thursday.",
        "Satellite maps show that the Riverside and Eastside neighborhoods have "
        "less than half the tree cover of the wealthier west side, and are several "
        "degrees hotter on summer afternoons.",
        "Residents can ask for a free street tree in front of their home on the "
        '<a href="https://example.org/parks/trees">parks department\'s site</a>.',
    ],
    "lead-pipes-replacement": [
        "The water utility has found 3,200 lead service lines still in use in the "
        "city and will replace all of them by 2030, at no cost to homeowners.",
        "The work starts in neighborhoods with the most young children. Homeowners "
        "will get a letter two weeks before crews arrive.",
        "Until then, the utility recommends running the tap for two minutes before "
        "drinking, and using a filter certified to remove lead.",
        "<ul><li>Look up your address on the utility's map.</li>"
        "<li>Ask for a free water test.</li></ul>",
    ],
    "wetland-restoration-begins": [
        "Work began this week to turn 80 acres of old farmland on the river's east "
        "bank back into wetland that can soak up floodwater.",
        "The project, paid for by a state grant, will take three years. When it is "
        "done, the county says, the wetland will hold as much water as 120 "
        "Olympic swimming pools during a flood.",
        "A walking trail with a bird blind will open on the site next fall.",
    ],
}

# minutes ago, headline, text
FLOOD_UPDATES = [
    (
        12,
        "",
        "Sandbagging continues along Front Street; volunteers are asked to "
        "bring gloves.",
    ),
    (
        35,
        "Bridge closed",
        "The Main Street bridge is closed to traffic until further notice.",
    ),
    (58, "", "The weather service raised its crest forecast by a foot."),
    (80, "Shelter opens", "A second shelter opened at the Civic Center."),
    (105, "", "Schools in the Riverside district will close early today."),
    (130, "", "Crews are checking the levee on the east bank every hour."),
    (160, "Rain eases", "Rain eased this morning, but more is expected tonight."),
    (190, "", "The county declared a local emergency."),
    (225, "", "Residents near the river received an automated warning call."),
    (260, "", "The river rose two feet overnight."),
    (300, "Warning issued", "The National Weather Service issued a flood warning."),
]


SPEAKERS = [
    # slug, name, current title, bio. All fictional.
    (
        "dana-whitfield",
        "Dana Whitfield",
        "City council president",
        "Dana Whitfield has represented the 3rd Ward since 2015 and has led the "
        "council since 2021.",
    ),
    (
        "ray-castillo",
        "Ray Castillo",
        "Hydrologist, National Weather Service",
        "Ray Castillo forecasts river levels for the region's weather office.",
    ),
    (
        "lena-moss",
        "Lena Moss",
        "Superintendent of schools",
        "Lena Moss became superintendent in 2022 after 20 years as a teacher and "
        "principal in the district.",
    ),
    (
        "olena-kovalenko",
        "Олена Коваленко",
        "Deputy mayor of the sister city in Ukraine",
        "Olena Kovalenko (Олена Коваленко) is responsible for culture and libraries "
        "in the city's Ukrainian sister city.",
    ),
    (
        "marcus-bell",
        "Marcus Bell",
        "Council member, 5th Ward",
        "Marcus Bell chairs the council's finance committee.",
    ),
]

QUOTES = [
    # speaker, text, title at the time, context, placements: (article, paragraph).
    # The date is the day of the first article's publication.
    (
        "dana-whitfield",
        "We heard you. This budget reflects what people told us they need.",
        "City council president",
        "before the council's 7-2 vote on the budget",
        [("city-council-approves-new-budget", 2), ("bus-routes-change-in-january", 1)],
    ),
    (
        "olena-kovalenko",
        "Бібліотеки — це серце громади. Дякуємо, що бережете їх.",
        "Deputy mayor of the sister city in Ukraine",
        "in a video message to the council, in Ukrainian: “Libraries are the heart "
        "of a community. Thank you for protecting them.”",
        [("city-council-approves-new-budget", 4)],
    ),
    (
        "ray-castillo",
        "Turn around, don't drown. Two feet of moving water is enough to float a car.",
        "Hydrologist, National Weather Service",
        "at a briefing at the county emergency operations center",
        [("river-flood-warning-issued", 1)],
    ),
    (
        "dana-whitfield",
        "The city will pay for sandbags for every household that asks. Nobody should "
        "have to choose between rent and protecting their home.",
        "City council president",
        "in a statement on the city's website",
        [("river-flood-warning-issued", 2)],
    ),
    (
        "lena-moss",
        "We have tried signing bonuses, housing help and a faster hiring process, and "
        "we will keep trying. But the honest answer is that there are not enough "
        "teachers in this state, and no district can hire its way out of a shortage "
        "that starts in the colleges that train them. Until salaries rise, our "
        "students will keep starting the year with substitutes.",
        "Superintendent of schools",
        "speaking to the school board on Monday",
        [("school-district-teacher-shortage", 2)],
    ),
    (
        # Only in an unpublished story: the quote stays out of the public pages.
        "marcus-bell",
        "That is not a plan. It is a hope.",
        "Council member, 5th Ward",
        "on the stadium proposal",
        [("old-stadium-plan", 1)],
    ),
]


def demo_picture(kind):
    sky, ground, accent = PICTURES[kind]
    picture = PILImage.new("RGB", (1600, 900), sky)
    draw = ImageDraw.Draw(picture)
    for y in range(450):
        shade = tuple(int(c * (0.75 + 0.25 * y / 450)) for c in sky)
        draw.line([(0, y), (1600, y)], fill=shade)
    draw.rectangle([0, 560, 1600, 900], fill=ground)
    draw.ellipse([1200, 90, 1380, 270], fill=(250, 235, 180))
    for i in range(6):
        x = 120 + i * 240
        draw.rectangle([x, 380 - (i % 3) * 60, x + 150, 560], fill=accent)
        for w in range(3):
            draw.rectangle(
                [x + 20 + w * 45, 420, x + 45 + w * 45, 460], fill=(245, 240, 220)
            )
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=90)
    return ContentFile(buffer.getvalue(), name=f"{kind}.jpg")


class Command(BaseCommand):
    help = (
        "Load demo content and demo accounts. Safe to run again: nothing is duplicated."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            password = self.demo_password()
            users = self.load_accounts(password)
            self.load_articles(users)
            self.load_stories(users)
            self.load_quotes()
        self.stdout.write(self.style.SUCCESS("Demo content loaded."))
        self.stdout.write(
            "Demo accounts (sign in at /admin/): "
            + ", ".join(f"{name} ({role})" for name, _n, role, _s in DEMO_ACCOUNTS)
            + f"\nPassword for all of them: {password}"
        )
        # The donations app's demo: a running campaign with appeals and gifts.
        call_command("load_demo_donations", stdout=self.stdout)

    def demo_password(self):
        if PASSWORD_FILE.exists():
            return PASSWORD_FILE.read_text().strip()
        password = secrets.token_urlsafe(12)
        PASSWORD_FILE.write_text(password + "\n")
        return password

    def load_accounts(self, password):
        User = get_user_model()
        users = {}
        for username, name, role, superuser in DEMO_ACCOUNTS:
            user, _ = User.objects.get_or_create(username=username)
            user.first_name, _sep, user.last_name = name.partition(" ")
            user.email = f"{username}@example.org"
            user.is_staff = True
            user.is_superuser = superuser
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            users[username] = user
        return users

    def load_articles(self, users):
        sections = {
            slug: Section.objects.update_or_create(
                slug=slug, defaults={"name": name, "position": position}
            )[0]
            for position, (name, slug) in enumerate(SECTIONS)
        }
        tags = {
            name: Tag.objects.get_or_create(
                name=name, defaults={"slug": name.lower().replace(" ", "-")}
            )[0]
            for name in TAGS
        }
        authors = {}
        for name, slug, title, bio, account in AUTHORS:
            authors[slug] = Author.objects.update_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "title": title,
                    "bio": bio,
                    "user": users.get(account),
                },
            )[0]
        now = timezone.now()
        editor = users["editor"]
        for (
            slug,
            headline,
            dek,
            section,
            tag_names,
            author_slugs,
            picture,
            state,
            age,
        ) in ARTICLES:
            if Article.objects.filter(slug=slug).exists():
                continue
            # Walt, the demo writer, drafted the stories he signs; the editor the rest.
            creator = users["writer"] if "walt-writer" in author_slugs else editor
            with reversion.create_revision():
                reversion.set_user(creator)
                reversion.set_comment("Created (demo content)")
                article = Article.objects.create(
                    slug=slug,
                    headline=headline,
                    dek=dek,
                    body=body_html(slug),
                    section=sections.get(section),
                    featured_image=self.picture(picture, users["editor"]),
                    created_by=creator,
                    updated_by=creator,
                )
                article.tags.set([tags[name] for name in tag_names])
                for position, author_slug in enumerate(author_slugs):
                    Byline.objects.create(
                        article=article, author=authors[author_slug], position=position
                    )
            if state == Status.IN_REVIEW:
                workflow.submit_for_review(article, by=editor)
            elif state in (Status.PUBLISHED, "scheduled", Status.UNPUBLISHED):
                workflow.publish(article, by=editor, at=now - age)
                if state == Status.UNPUBLISHED:
                    workflow.unpublish(article, by=editor)

    def load_stories(self, users):
        """A developing story with a dozen updates (one pinned), a concluded one, and
        corrections in the open."""
        editor, now = users["editor"], timezone.now()
        flood = Article.objects.get(slug="river-flood-warning-issued")
        if not flood.updates.exists():
            # Live from the moment it was published: no update is older than that.
            flood.coverage_started_at = flood.published_at
            flood.developing = True
            flood.save()
            sam = Author.objects.get(slug="sam-okafor")
            Update.objects.create(
                article=flood,
                pinned=True,
                author=sam,
                published_at=now - timedelta(minutes=5),
                headline="What we know",
                body="<ul><li>The river is expected to crest at 27 feet on Thursday."
                "</li><li>Evacuation is voluntary in the Riverside neighborhood.</li>"
                "<li>Two shelters are open: Lincoln High and the Civic Center.</li>"
                "</ul>",
            )
            for minutes, headline, text in FLOOD_UPDATES:
                Update.objects.create(
                    article=flood,
                    author=sam,
                    published_at=now - timedelta(minutes=minutes),
                    headline=headline,
                    body=f"<p>{text}</p>",
                    created_by=editor,
                )
        budget = Article.objects.get(slug="city-council-approves-new-budget")
        if not budget.updates.exists():
            # Covered live from the vote until the mayor signed: the coverage spans
            # those hours, and every update falls inside it.
            budget.coverage_started_at = budget.published_at
            budget.developing = True
            budget.save()
            walt = Author.objects.get(slug="walt-writer")
            Update.objects.create(
                article=budget,
                author=walt,
                published_at=budget.published_at + timedelta(minutes=20),
                headline="Two amendments fail",
                body="<p>Both amendments to cut the library money failed, 2-7.</p>"
                "<ul><li>Moving the Sunday hours to Saturdays.</li>"
                "<li>Funding one crossing guard instead of two.</li></ul>",
                created_by=editor,
            )
            Update.objects.create(
                article=budget,
                author=walt,
                published_at=budget.published_at + timedelta(hours=1),
                headline="Mayor signs the budget",
                body="<p>The mayor signed the budget at a short ceremony at noon.</p>"
                "<p>She called it “a budget for the people who showed up”, and "
                "thanked the residents who stayed for the public comment.</p>",
                created_by=editor,
            )
            # Coverage concluded: the updates stay.
            budget.coverage_ended_at = budget.published_at + timedelta(
                hours=1, minutes=30
            )
            budget.developing = False
            budget.save()
        schools = Article.objects.get(slug="school-district-teacher-shortage")
        if not schools.corrections.exists():
            Correction.objects.create(
                article=schools,
                kind=CorrectionKind.CORRECTION,
                published_at=now - timedelta(days=1),
                body="<p>An earlier version of this story misstated the number of "
                "open teaching positions. There are 42, not 24.</p>",
                created_by=editor,
            )
            Correction.objects.create(
                article=schools,
                kind=CorrectionKind.CLARIFICATION,
                published_at=now - timedelta(hours=20),
                body="<p>This story has been updated to clarify that substitute "
                "teachers are paid by the day, not by the hour.</p>",
                created_by=editor,
            )

    def load_quotes(self):
        """Speakers, their quotes, and the quotes as pull quotes in the stories."""
        speakers = {
            slug: Speaker.objects.update_or_create(
                slug=slug, defaults={"name": name, "title": title, "bio": bio}
            )[0]
            for slug, name, title, bio in SPEAKERS
        }
        articles = {article.slug: article for article in Article.objects.all()}
        placed_in = set()
        for speaker, text, title, context, placements in QUOTES:
            first = articles[placements[0][0]]
            quote, _created = Quote.objects.get_or_create(
                speaker=speakers[speaker],
                text=text,
                defaults={
                    "speaker_title": title,
                    "context": context,
                    "said_on": timezone.localdate(
                        first.published_at or first.created_at
                    ),
                    "source_url": "https://example.org/statements",
                },
            )
            for slug, paragraph in placements:
                _placed, created = PullQuote.objects.get_or_create(
                    article=articles[slug],
                    quote=quote,
                    defaults={"after_paragraph": paragraph},
                )
                if created:
                    placed_in.add(slug)
        # Revisions keep pull quotes: each story's history shows where they came in.
        for slug in sorted(placed_in):
            with reversion.create_revision():
                reversion.add_to_revision(articles[slug])
                reversion.set_comment("Pull quotes placed (demo content)")

    def picture(self, kind, user):
        if kind is None:
            return None
        alt = f"Illustration: {kind}"
        image = Image.objects.filter(alt_text=alt).first()
        if image is None:
            image = Image.objects.create(
                file=process_upload(demo_picture(kind)),
                alt_text=alt,
                caption=f"A drawing of the {kind}, made for the demo.",
                credit="Newsroom demo",
                may_redistribute=True,
                uploaded_by=user,
            )
        return image
