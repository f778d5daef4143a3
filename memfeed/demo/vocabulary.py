"""Vocabulary for the generated demo catalog (data only; the generator lives in memfeed.demo.data).

Each topic has its own entities, situations and headline patterns so that its texts embed close together and
far from other topics. Slot lists are ';'-separated; titles are 'angle | template' lines; details are plain
sentences. Templates use {slot} (or {Slot} for a capitalised value, {slot2} for a second distinct value);
every topic defines the shared slots s, person, place and aud that the generic templates and leads use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class TopicVocab:
    slots: dict[str, tuple[str, ...]]
    titles: tuple[tuple[str, str], ...]  # (angle, template)
    details: tuple[str, ...]
    tags: tuple[str, ...]


def _items(text: str) -> tuple[str, ...]:
    return tuple(p for p in (" ".join(part.split()) for part in text.split(";")) if p)


def _titles(text: str) -> tuple[tuple[str, str], ...]:
    rows = (line.split("|", 1) for line in text.strip().splitlines() if line.strip())
    return tuple((angle.strip(), tpl.strip()) for angle, tpl in rows)


def _sentences(text: str) -> tuple[str, ...]:
    return tuple(s for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if s)


def _topic(titles: str, details: str, tags: str, **slots: str) -> TopicVocab:
    items = {k: _items(v) for k, v in slots.items()}
    return TopicVocab(items, _titles(titles), _sentences(details), _items(tags))


NUMBERS = ("3", "4", "5", "5", "6", "7", "7", "8", "9", "10", "10", "12")  # repeats make 5, 7 and 10 likelier

# Slots that read naturally where generic leads say "about {s}": a headline built on one of them lends its
# value to {s}, so the description talks about the same thing as the title.
ALIASABLE = frozenset(
    _items("""
    craft; scope; body; lifebody; event; dish; technique; ingredient; club; tactic; controversy; product; goal;
    veg; flower; soilthing; practice; lawnalt; tech; task; dest; city; trip; exercise; activity; album;
    style; solution; hazard; region; game; bossgame; genre; platform; issue; talk;
    format
""")
)

GENERIC_TITLES = _titles("""
explainer | {S}, explained
list | {n} things nobody tells you about {s}
interview | What {person} wishes everyone knew about {s}
opinion | Everything we got wrong about {s}
opinion | {S}: overrated or underrated?
explainer | What {aud} should know about {s}
howto | A beginner's guide to {s}
news | Why everyone is suddenly talking about {s}
""")

LEADS: dict[str, tuple[str, ...]] = {
    "news": _sentences("""
        The latest twist in the story of {s}, and what it means for the months ahead.
        Fresh developments around {s} have caught even seasoned observers off guard.
        A quick briefing on this week's news about {s}, with reaction from {person}.
        Here is what changed this week around {s}, and who stands to gain or lose.
        What happened, why it matters for {aud} and what to watch next.
    """),
    "howto": _sentences("""
        A practical, step-by-step walkthrough written for {aud}.
        If you've been meaning to get to grips with {s}, start here.
        Clear instructions on {s}, the common mistakes and what to do when things go wrong.
        A no-nonsense guide to {s} for {aud}, from the first attempt to the tenth.
        Short on time? The essentials come first, with the finer points for {aud} further down.
    """),
    "review": _sentences("""
        We spent several weeks with {s} so you can make a decision in five minutes.
        An honest verdict on {s}: what works, what doesn't and who it's really for.
        Our reviewers compared the options side by side, with {aud} in mind.
        Tested in real conditions rather than on a spec sheet, with a clear recommendation for {aud}.
    """),
    "opinion": _sentences("""
        Our columnist argues the conventional wisdom on {s} is overdue for a rethink.
        A provocative take on {s} that not every reader will agree with.
        It's time for a more honest conversation about {s}.
        An argument worth having, even if {aud} end up unconvinced.
    """),
    "interview": _sentences("""
        {Person} talks candidly about {s}, early mistakes and what comes next.
        In a wide-ranging conversation, {person} reflects on a career shaped by {s}.
        We sat down with {person} to hear the stories that never make the highlights.
        In their own words, {person} describes the doubts, the breakthroughs and the advice they'd pass on.
    """),
    "list": _sentences("""
        A handpicked list for {aud}, with a note on why each one earned its place.
        Our shortlist for {aud}, ranked, with a few surprises near the top.
        A practical list worth bookmarking if you care about {s}.
        Some picks are obvious, a couple are not, and one might change how you think about {s}.
    """),
    "explainer": _sentences("""
        A plain-English explainer on {s} and why it matters right now.
        We unpack the background, the key players and the open questions around {s}.
        The short version, the long version and the bits most coverage of {s} leaves out.
        No jargon and no hype: the essentials of {s} for {aud}.
    """),
    "feature": _sentences("""
        A reported feature from {place}.
        Reported on the ground, with the people closest to {s}.
        A close-up look at {s}, told through the people who live it.
        Long days, small victories and the moments that make {place} worthwhile.
    """),
}

VOCAB: dict[str, TopicVocab] = {
    "space": _topic(
        s="""the James Webb Space Telescope; the Artemis programme; Mars sample return; the Europa Clipper
        mission; reusable rockets; the hunt for exoplanets; water ice on the Moon; the International Space
        Station; Starship test flights; solar flares; asteroid deflection; the Hubble Space Telescope;
        dark matter; black hole imaging; space debris; Venus exploration; the Perseverance rover;
        gravitational waves; commercial space stations; satellite megaconstellations; Saturn's moon
        Enceladus; crewed missions to Mars; radio astronomy; the Voyager probes; planetary defence;
        cubesats; the Kuiper Belt; lunar landers""",
        person="""a NASA flight director; an astrophysicist; a planetary scientist; a former space station
        astronaut; a rocket propulsion engineer; a mission controller; an amateur astronomer; a telescope
        operator""",
        place="""mission control in Houston; the Kennedy Space Center; a radio observatory in Chile's
        Atacama Desert; the Jet Propulsion Laboratory; the Baikonur Cosmodrome; a dark-sky reserve in
        Namibia; the European Space Agency's operations centre; a rocket factory in Texas""",
        aud="backyard stargazers; new telescope owners; space-obsessed kids; amateur astronomers",
        skytarget="""the Moon; Jupiter and its moons; Saturn's rings; Mars; Venus; the Orion Nebula; the
        Andromeda Galaxy""",
        craft="""the Orion capsule; the Falcon 9 booster; the Dragon capsule; the SLS rocket; the Starship
        prototype; a Japanese lunar lander; the New Glenn rocket; the Ariane 6 rocket""",
        body="""the Moon; Mars; Europa; Titan; Venus; Mercury; Jupiter; Saturn; Pluto; the asteroid Bennu;
        Enceladus; a near-Earth asteroid""",
        lifebody="Europa; Enceladus; Mars; Titan; the clouds of Venus",
        scope="""the James Webb Space Telescope; the Hubble Space Telescope; the Vera Rubin Observatory;
        the Event Horizon Telescope; the Square Kilometre Array; the Chandra X-ray Observatory""",
        event="""a total solar eclipse; the Perseid meteor shower; a rare planetary alignment; a bright
        comet; the northern lights; the Geminid meteor shower; a partial lunar eclipse""",
        titles="""
        list | {n} missions to watch over the next decade
        howto | Your first night with a telescope: finding {skytarget} step by step
        feature | The engineers who keep {craft} flying
        news | What {craft}'s latest test flight means for the return to {body}
        news | Astronomers spot something strange near {body}
        news | {Craft} clears a key milestone ahead of launch
        news | {Scope} captures its sharpest view yet of a dying star
        explainer | How {scope} changed what we know about {body}
        explainer | What {scope} can tell us about the early universe
        explainer | Why {lifebody} could be the best place to look for alien life
        howto | How to watch {event} from your back garden
        howto | A stargazer's guide to {event}
        list | {n} things to see through a small telescope this month
        feature | Inside {place}, where every second of a launch is rehearsed
        feature | The night shift at {place}
        interview | Counting down: {person} on {s}
        opinion | Should we really be sending humans to {body}?
        opinion | The space race is back, and this time it's commercial
        review | We tested {n} beginner telescopes under real night skies
        """,
        details="""
        Engineers are still analysing telemetry from {craft}, and the next launch window opens within months.
        Scientists hope the data will help explain how {body} formed and whether it could ever have hosted
            life.
        Expect clear explanations of orbits, payloads and launch windows, with diagrams of the trajectory.
        The mission team describes the moment the spacecraft's signal returned after a tense radio blackout.
        There are tips on finding {skytarget} in the night sky with binoculars or a small telescope.
        {Person} explains why funding gaps and rocket delays keep pushing launch dates back.
        Astronomers have studied {body} for decades, but new instruments are revealing details never seen
            before.
        From rocket engines to radiation shielding, the engineering challenges of deep space are enormous.
        The best viewing will be after midnight, away from city lights, once your eyes have adjusted to the
            dark.
        The findings, published in a peer-reviewed astronomy journal, have already prompted follow-up
            observations.
        """,
        tags="nasa; astronomy; rockets; telescopes; planets; spaceflight",
    ),
    "cooking": _topic(
        s="""sourdough baking; cast-iron cooking; weeknight pasta; fermented hot sauce; homemade ramen
        broth; braising; knife skills; one-pan dinners; miso; brown butter; meal prep; slow-cooker stews;
        Sichuan cooking; homemade dumplings; crispy tofu; shortcrust pastry; risotto; smash burgers;
        sheet-pan vegetables; spice blends; quick pickles; the Sunday roast; street tacos; chocolate chip
        cookies; shakshuka; fresh egg pasta; stir-fries; bread baking at home""",
        person="""a Michelin-starred chef; a home baker; a line cook; a food writer; a pastry chef; a
        cookbook author; a butcher; a restaurant owner; a grandmother who has cooked for six decades""",
        place="""a tiny ramen bar in Osaka; a family trattoria in Bologna; a restaurant kitchen on a
        Saturday night; a taco stand in Mexico City; a bakery that starts work at four in the morning; a
        night market in Taipei; a farmhouse kitchen in Provence""",
        aud="""busy parents; first-time cooks; students on a budget; vegetarians; dinner party hosts;
        people cooking for one""",
        dish="""roast chicken; weeknight pasta; sourdough bread; fried rice; chicken curry; banana bread;
        lasagne; pad thai; ramen; risotto; omelettes; tomato soup; beef stew; fish tacos; pancakes; dal;
        paella; mac and cheese""",
        ingredient="""garlic; butter; anchovies; lemon zest; chickpeas; aubergine; cabbage; gochujang;
        tahini; leftover rice; fresh herbs; parmesan rinds; tinned tomatoes; coconut milk; miso paste;
        eggs""",
        tool="""a cast-iron skillet; a Dutch oven; an air fryer; a chef's knife; a stand mixer; a pressure
        cooker; a wok; a carbon-steel pan; a rice cooker""",
        pan="a cast-iron skillet; a Dutch oven; a wok; a carbon-steel pan; a heavy frying pan; a saucepan",
        technique="""braising; searing; emulsifying; caramelising onions; proofing dough; deglazing;
        brining; tempering chocolate; fermenting; poaching eggs""",
        titles="""
        list | {n} clever ways to use up {ingredient}
        review | Is {tool} worth the counter space? A month of testing
        howto | The only {dish} recipe you'll ever need
        howto | How to make {dish} without a recipe
        howto | Why your {dish} keeps going wrong, and how to fix it
        howto | {Technique}, demystified: a step-by-step guide
        howto | Five ingredients, one pan: {dish} for {aud}
        list | {n} weeknight dinners built around {ingredient}
        list | {n} mistakes everyone makes with {tool}
        review | {Tool} vs {tool2}: which one belongs in a small kitchen?
        review | We made {dish} {n} different ways. Here's the winner
        interview | What {person} taught me about {s}
        feature | Inside {place}, where the stockpot never stops simmering
        feature | A love letter to {dish}
        opinion | In praise of {ingredient}, the most underrated thing in your kitchen
        opinion | The quiet comeback of {s}
        explainer | The science of {technique}: what's really happening in the pan
        news | Why restaurants are quietly taking {dish} off the menu
        """,
        details="""
        Start by heating {pan} until it's properly hot, then add {ingredient} and let it sizzle before
            stirring.
        The recipe leans on {ingredient} for depth, and most of the work happens in the oven.
        {Person} shares the shortcut they use on busy nights, plus a make-ahead version that keeps for three
            days.
        Expect notes on seasoning, resting times and how to tell when the sauce has reduced enough.
        Salting early, patient browning and a splash of acid make the difference between good {dish} and great
            {dish}.
        Swaps for dairy-free and vegetarian cooks are included, along with a printable shopping list.
        The dish takes about forty minutes from chopping board to table and serves four.
        At {place}, cooks prep vegetables, bones and sauces for hours before the first order comes in.
        {Technique} sounds intimidating, but with a thermometer and a little patience it's surprisingly
            forgiving.
        Leftovers reheat well and taste even better the next day, once the flavours have had time to meld.
        """,
        tags="recipes; food; home-cooking; kitchen; baking; dinner",
    ),
    "football": _topic(
        s="""the Premier League title race; high pressing; the Champions League; youth academies; VAR; the
        transfer window; women's football; set pieces; the modern number 10; expected goals; goalkeepers
        who play out from the back; inverted full-backs; club ownership; fan-owned clubs; World Cup
        qualifying; derby days; loan deals; relegation battles; the false nine; squad rotation; football
        analytics; ticket prices; the Europa League; matchday atmosphere""",
        person="""a Premier League scout; a former club captain; an academy coach; a referee; a club
        physio; a football data analyst; a matchday steward; a kit manager; a lifelong season-ticket
        holder""",
        place="""a packed away end; the training ground at dawn; a non-league ground on a wet Tuesday; the
        dressing room at half-time; the dugout; a scouting department; a fan-owned club's boardroom""",
        aud="""fantasy football managers; new fans; Sunday league players; season-ticket holders; armchair
        tacticians""",
        pundit="""a Premier League scout; a football data analyst; an academy coach; a former club
        captain; a referee""",
        club="""Arsenal; Liverpool; Manchester City; Barcelona; Real Madrid; Bayern Munich; Borussia
        Dortmund; Napoli; Inter Milan; Ajax; Celtic; Tottenham; Newcastle United; Atlético Madrid;
        Benfica; Aston Villa""",
        role="striker; centre-back; holding midfielder; goalkeeper; winger; full-back; playmaker; number 10",
        tactic="""high pressing; set pieces; the counter-attack; inverted full-backs; the false nine; long
        throws; a back three; patient possession; the high defensive line""",
        controversy="""VAR; the new Champions League format; fixture congestion; state-owned clubs; rising
        ticket prices; financial fair play; the winter World Cup; five substitutes""",
        titles="""
        news | {Club} sack their manager after a winless run
        feature | Ninety minutes in {place}
        list | {n} things we learned from {club}'s weekend win
        news | {Club} close in on a new {role} as the transfer window heats up
        news | {Club}'s late winner blows the title race wide open
        explainer | How {club} turned {tactic} into a weapon
        explainer | {Club} vs {club2}: the tactical battle that will decide Sunday
        explainer | The return of {tactic}, explained
        opinion | {Club} don't need another {role}. They need a plan
        opinion | Is {controversy} ruining the game?
        list | {n} young {role}s who could define the next decade
        list | {n} derbies every football fan should see in person
        feature | Inside {place}: the side of football you never see on TV
        interview | "I knew in the tunnel": {person} on the night everything changed
        howto | How to watch a match like {pundit}
        review | Season review: where it went right and wrong for {club}
        """,
        details="""
        The manager's high line was exposed on the counter-attack twice before half-time.
        {Club} have kept just two clean sheets in their last eight league games, and the back four looks
            tired.
        Scouts have tracked the {role} since his academy days, and the fee could break the club's transfer
            record.
        We break down the pressing triggers, the build-up from the back and the substitutions after half-time.
        Supporters in the away end sang for ninety minutes despite the scoreline.
        Expected goals, progressive passes and duels won tell a more complicated story than the result.
        {Person} describes matchday routines, from the pre-match warm-up to the post-match ice baths.
        With the league table tightening, every point between now and May will matter.
        The referee's penalty decision, confirmed by VAR after a four-minute review, left both benches
            furious.
        The academy has produced more first-team players than any other club in the division this decade.
        {Club} pressed high from the first whistle, forcing mistakes from a nervous back line.
        """,
        tags="soccer; premier-league; tactics; transfers; matchday; goals",
    ),
    "personal-finance": _topic(
        s="""index funds; emergency savings; credit scores; the 50/30/20 budget; student loan repayments;
        retirement accounts; high-yield savings accounts; mortgage refinancing; compound interest; side
        hustles; buy-now-pay-later plans; inflation; dividend investing; tax-loss harvesting; financial
        independence; debt consolidation; sinking funds; credit card rewards; the FIRE movement;
        robo-advisers; life insurance; budgeting apps; salary negotiation; zero-based budgeting; pension
        contributions""",
        person="""a certified financial planner; a tax accountant; a debt counsellor; a mortgage broker; a
        couple who retired at 45; a personal finance writer; a pension adviser; a former bank manager""",
        place="""a debt advice clinic; a kitchen table covered in bank statements; a credit union branch;
        a mortgage broker's office; a free money workshop at the local library""",
        aud="""first-time homebuyers; freelancers; couples merging finances; people in their twenties; new
        parents; renters""",
        product="""index funds; a high-yield savings account; a Roth IRA; premium bonds; a workplace
        pension; dividend stocks; government bonds; a robo-adviser; certificates of deposit; a target-date
        fund""",
        goal="""a house deposit; early retirement; a six-month emergency fund; a university fund; a
        year-long sabbatical; a wedding""",
        debt="$8,000; $15,000; $23,000; $41,000; $60,000",
        monthly="$100; $250; $500; $1,000",
        amount="$1,000; $5,000; $10,000; $100,000",
        titles="""
        howto | A {n}-step plan to get out of debt
        opinion | You don't need a budgeting app. You need a spreadsheet
        news | Mortgage rates fall for the first time in months: what {aud} should do now
        howto | How to save for {goal} on an average salary
        howto | What to do with your first {amount}
        howto | Where to put an extra {monthly} a month
        feature | How I paid off {debt} of credit card debt in a year
        feature | What I learned at {place}
        list | {n} money habits that quietly cost you thousands
        explainer | {Product} vs {product2}: which makes more sense for {aud}?
        explainer | {S}, in plain numbers
        opinion | Stop checking your portfolio every day
        opinion | Why {product} might not be the safe bet you think
        news | Interest rates are shifting. Here's what it means for {aud}
        interview | {Person} answers your questions about {s}
        interview | "We budgeted every penny": how one family saved for {goal}
        review | We compared {n} budgeting apps so you don't have to
        """,
        details="""
        The calculations assume a 7% average annual return before inflation, optimistic but not unrealistic
            over decades.
        We walk through the spreadsheet line by line: income, fixed bills, savings goals and what's left for
            fun.
        {Person} explains why high-interest credit card debt should almost always be cleared before investing.
        Fees matter more than most people think: a 1% annual charge can eat a quarter of a pension pot.
        There are tax implications too, so check the contribution limits on your retirement account first.
        Automating transfers on payday takes willpower out of the equation.
        The guide covers credit utilisation, missed payments and how long negative marks stay on your credit
            report.
        Markets will fall at some point; what matters is whether your emergency fund and asset allocation can
            ride it out.
        Real household numbers are included: rent, groceries, childcare and the surprise car repair that blew
            the budget.
        Interest compounds quietly, which is why small monthly contributions in your twenties beat larger ones
            later.
        """,
        tags="money; budgeting; investing; savings; debt; retirement",
    ),
    "gardening": _topic(
        s="""raised beds; companion planting; composting; growing tomatoes; no-dig gardening; pruning
        roses; native wildflowers; container gardening; starting seeds indoors; dahlias; attracting
        pollinators; winter vegetables; garden soil; rainwater harvesting; growing garlic; lawn
        alternatives; fruit trees; herb gardens; slug control; hydrangeas; mulching; perennial borders;
        allotment life; wildlife ponds; cottage garden planting; leaf mould""",
        person="""a head gardener; an allotment holder; a plant nursery owner; a soil scientist; a plant
        breeder; a community gardener; a beekeeper; a garden designer""",
        place="""a walled kitchen garden; a rooftop allotment in London; a national seed bank; a Victorian
        glasshouse; a cottage garden in Devon; a community garden in Brooklyn; a botanic garden's
        propagation house""",
        aud="""balcony gardeners; first-time allotment holders; people with clay soil; gardeners with
        shady yards; anyone with a sunny windowsill""",
        veg="""tomatoes; courgettes; chillies; strawberries; potatoes; basil; runner beans; salad leaves;
        blueberries; garlic""",
        flower="""dahlias; sweet peas; hydrangeas; roses; clematis; peonies; wisteria; lavender;
        hellebores; tulips""",
        month="February; March; April; May; June; September; October",
        season="spring; summer; autumn; winter; the first frost; the summer holidays",
        tool="""secateurs; garden kneelers; watering cans; compost bins; hand trowels; hose reels; heated
        propagators; pruning saws""",
        practice="""using peat compost; mowing in May; cutting back seed heads; clearing every fallen
        leaf; using slug pellets; tidying borders in autumn""",
        lawnalt="""a wildflower meadow; clover; a no-mow patch; native ground cover; a gravel garden; a
        herb lawn""",
        soilthing="composting; mulching; no-dig gardening; green manure; leaf mould; crop rotation",
        titles="""
        howto | How to plan a pollinator border in a weekend
        list | {n} mistakes to avoid when growing {veg}
        feature | A year on the allotment: what {veg} taught me
        howto | What to sow in {month} for a harvest that lasts
        howto | How to grow {veg} in pots, even without a garden
        howto | Growing {veg}: a week-by-week guide
        list | {n} jobs to do in the garden before {season}
        list | {n} varieties of {flower} worth growing this year
        opinion | Your lawn is a green desert. Try {lawnalt} instead
        opinion | In defence of a messy garden
        explainer | Why your {flower} won't flower, and what to do about it
        explainer | What {soilthing} does for your soil
        feature | Inside {place}: a year among the beds and borders
        interview | {Person} on the plants that survive anything
        review | The best {tool} we tested this season
        news | Why gardeners are being asked to stop {practice}
        """,
        details="""
        Sow thinly in modular trays, keep the compost moist but not soggy, and harden seedlings off before
            planting out.
        Clay soil benefits from a thick mulch of well-rotted manure each autumn, which worms pull down over
            winter.
        {Person} recommends watering deeply once or twice a week rather than a light sprinkle every evening.
        Aphids, slugs and vine weevils are covered, along with organic controls that won't harm bees.
        Deadheading spent blooms encourages {flower} to keep flowering well into September.
        The beds at {place} are planted in succession so something is always ready to pick.
        Bumblebees and hoverflies visit open, single flowers far more than the showy doubles.
        A cheap soil test tells you whether your pH suits acid-loving shrubs like rhododendrons and
            blueberries.
        Most of these varieties are hardy, but horticultural fleece will protect young growth from a late
            frost.
        Turn the compost heap every few weeks; a mix of green clippings and brown cardboard keeps it from
            going slimy.
        """,
        tags="plants; garden; allotment; seeds; soil; flowers",
    ),
    "ai": _topic(
        s="""large language models; AI coding assistants; retrieval-augmented generation; open-weight
        models; AI regulation; chatbot hallucinations; the GPU shortage; AI agents; fine-tuning;
        deepfakes; reinforcement learning from human feedback; AI in radiology; machine translation;
        recommendation algorithms; AI safety research; synthetic training data; the transformer
        architecture; on-device AI; AI chip startups; prompt engineering; multimodal models; benchmark
        contamination; AI copyright lawsuits; speech recognition; neural scaling laws""",
        person="""a machine learning researcher; an AI ethicist; a startup founder; a data scientist; a
        GPU cluster engineer; a former big-tech researcher; a policy adviser on AI; a radiologist who uses
        AI daily""",
        place="""a GPU data centre; an AI research lab in London; a start-up office in San Francisco; a
        hospital trialling AI diagnostics; a content moderation centre; a chip fabrication plant in Taiwan""",
        aud="software developers; small businesses; teachers; non-technical managers; students; writers",
        tech="""large language models; diffusion models; AI agents; recommender systems; neural networks;
        transformers; embedding models; speech recognition systems; computer vision models; chatbots""",
        task="""writing code; summarising legal documents; reading medical scans; customer support;
        translating languages; marking essays; spotting fraud; drafting emails""",
        company="OpenAI; Google DeepMind; Anthropic; Meta; Mistral; Nvidia; Microsoft; Hugging Face; Apple",
        titles="""
        list | {n} questions to ask before putting AI in your product
        opinion | We keep moving the goalposts for {tech}. That's a problem
        howto | How to spot a deepfake: a checklist for {aud}
        news | {Company} unveils a smaller model that runs on a laptop
        news | Can {tech} be trusted with {task}?
        news | Why {company} is betting big on {tech}
        explainer | How {tech} actually work, without the hype
        explainer | What the rise of {s} means for {aud}
        explainer | Embeddings, tokens and context windows: a jargon-free glossary
        opinion | AI won't replace you at {task}. Someone using it might
        opinion | The hidden cost of training {tech}: electricity, water and chips
        list | {n} ways {aud} are already using AI without realising it
        review | We tested {n} AI coding assistants on a real codebase
        interview | "The benchmarks are misleading us": {person} on {s}
        feature | Inside {place}: the physical side of the AI boom
        howto | How to get useful answers from a chatbot: a practical guide for {aud}
        """,
        details="""
        The model was trained on trillions of tokens and fine-tuned with human feedback to follow
            instructions.
        Researchers found the system still hallucinates citations about one time in ten, which matters in law.
        {Person} explains how evaluation benchmarks leak into training data and inflate headline scores.
        Running inference on thousands of GPUs is expensive, which is why small distilled models get so much
            attention.
        We compare accuracy, latency and cost per thousand queries, with examples of where each model fails.
        Regulators in Brussels and Washington are drafting rules on transparency, training data and liability.
        The piece includes sample prompts, the outputs they produced and the mistakes a human reviewer caught.
        Engineers describe retrieval pipelines that fetch documents from a vector database before the model
            answers.
        Open-weight releases let anyone download and fine-tune a neural network, for better and for worse.
        Critics warn that using AI for {task} without human oversight could entrench algorithmic bias.
        """,
        tags="machine-learning; llm; neural-networks; chatbots; algorithms; tech",
    ),
    "travel": _topic(
        s="""slow travel; overnight trains; solo travel; budget airlines; travel insurance; digital nomad
        visas; overtourism; packing light; hostels; road trips; off-season travel; travelling with kids;
        jet lag; rail passes; street food; city breaks; hiking holidays; airport lounges; house swaps;
        island hopping; air miles; eco-friendly hotels; camper vans; walking tours; long-haul flights""",
        person="""a long-haul flight attendant; a tour guide; a hostel owner; a travel writer; a hotel
        concierge; a backpacker who has visited ninety countries; a local fixer""",
        place="""a night train across Europe; a family guesthouse; a remote mountain hut; an airport
        terminal at five in the morning; a ferry between Greek islands; a Moroccan riad""",
        aud="""first-time solo travellers; families on a budget; remote workers; retirees; travellers who
        hate crowds""",
        dest="""Lisbon; Kyoto; the Scottish Highlands; Oaxaca; the Dolomites; Tbilisi; Hoi An; Patagonia;
        the Amalfi Coast; Marrakech; Iceland; Ljubljana; Cape Town; the Faroe Islands; Seoul; Porto;
        Copenhagen; Sri Lanka's hill country; Quebec City; Crete""",
        city="""Lisbon; Kyoto; Tbilisi; Marrakech; Ljubljana; Cape Town; Seoul; Porto; Copenhagen; Quebec
        City; Venice; Amsterdam; Hoi An; Oaxaca""",
        traindest="Vienna; Venice; Edinburgh; Budapest; Kraków; Munich; Zagreb; Stockholm",
        trip="""a multi-country rail trip; a family road trip; a honeymoon; a gap year; a long weekend
        abroad; a hiking trip; a month of remote work abroad""",
        titles="""
        feature | {City} on foot: a walking itinerary for {aud}
        review | We flew {n} budget airlines in a month. Here's the verdict
        list | The perfect 48 hours in {city}
        opinion | Overtourism is real, but staying home isn't the answer
        list | {n} days in {dest} without a car
        list | {n} things I wish I'd known before visiting {dest}
        howto | How to see {dest} on a budget
        howto | The carry-on-only packing list for {aud}
        howto | How to plan {trip} without losing your mind
        opinion | Skip the crowds: choose {dest} over {dest2} in the shoulder season
        feature | A slow week in {city}, one café at a time
        feature | Getting lost in the back streets of {city}
        review | {Traindest} by night train: was it worth it?
        interview | {Person} on the places tourists always miss
        news | {City} introduces a tourist tax. Here's what visitors need to know
        explainer | When is the best time to visit {dest}?
        """,
        details="""
        Book the regional trains a few weeks ahead; they're cheap, scenic and far less stressful than the
            airport.
        The old town is best explored on foot early in the morning, before the tour buses arrive.
        {Person} shares where locals actually eat, from market stalls to tiny family-run restaurants.
        We cover visas, currency, local SIM cards and how much to budget per day for food and transport.
        Accommodation ranges from simple guesthouses to boutique hotels, and prices drop outside peak season.
        Pack layers: mountain weather turns quickly, even in July.
        The itinerary includes a day trip to a nearby village, a coastal hike and an evening at the hot
            springs.
        Overtourism has pushed {city} to cap cruise ship arrivals and limit short-term holiday rentals.
        Expect a few long bus rides, some patchy hotel Wi-Fi and sunsets that make up for all of it.
        Travel insurance that covers cancellations and medical evacuation is worth the extra few pounds.
        """,
        tags="destinations; trips; holidays; itineraries; flights; backpacking",
    ),
    "fitness": _topic(
        s="""strength training; zone 2 cardio; marathon training; mobility work; kettlebell training;
        interval training; progressive overload; rest days; protein intake; running form; pull-up
        progressions; yoga for runners; home workouts; creatine; heart rate variability; foam rolling; the
        deadlift; core strength; couch to 5K; indoor rowing; sleep and recovery; daily step counts;
        resistance bands; swimming technique; CrossFit""",
        person="""a strength coach; a physiotherapist; an Olympic rower; a sports dietitian; a running
        coach; a personal trainer; a yoga teacher""",
        place="""a powerlifting gym under a railway arch; a high-altitude training camp in Kenya; a hotel
        gym; a CrossFit box; the athletics track at six in the morning""",
        aud="desk workers; beginners over 40; busy parents; runners; people who hate the gym",
        exercise="""squats; deadlifts; push-ups; pull-ups; lunges; planks; burpees; kettlebell swings;
        bench presses; hip thrusts; box jumps; farmer's carries""",
        goal="""your first half marathon; a 100kg squat; ten strict pull-ups; a sub-25-minute 5K; your
        first triathlon; a marathon personal best; a charity 10K""",
        activity="""a marathon; a heavy deadlift session; an ice bath; a HIIT class; a long swim; a week
        off training; a 5K race""",
        titles="""
        howto | How to start running again after a long break
        list | {n} mobility drills for stiff hips and a tight back
        feature | I did {exercise} every day for a month. Here's what happened
        howto | A {n}-week plan to train for {goal}
        howto | How to do {exercise} properly (most people don't)
        howto | The {n}-minute workout for {aud}
        list | {n} no-equipment exercises for {aud}
        list | {n} signs you're overtraining
        opinion | Stop chasing soreness: it isn't a sign of a good workout
        explainer | What happens to your body during {activity}
        explainer | {Exercise} vs {exercise2}: which builds more strength?
        review | We tested {n} pairs of running shoes over 500 kilometres
        interview | {Person} on the training mistake they see every week
        feature | Inside {place}, where the warm-up alone takes an hour
        news | New research suggests {s} could add years to your life
        """,
        details="""
        Start with two sets of eight to twelve reps at a weight you could lift a few more times, then add load
            weekly.
        {Person} explains how to brace your core, keep a neutral spine and breathe through the hardest part of
            a lift.
        The plan mixes easy aerobic runs, one interval session and a long run that grows by a kilometre each
            weekend.
        Rest days are where adaptation happens: muscle fibres repair and glycogen stores refill.
        Aim for roughly 1.6 grams of protein per kilogram of body weight if you're trying to build muscle.
        Each session ends with ten minutes of mobility work for the hips, ankles and upper back.
        Heart rate training zones are explained, with a simple talk test if you don't own a monitor.
        Sore knees are usually a training-load problem rather than a running problem, and a physio can help.
        There are modifications for beginners and progressions for when {exercise} start to feel easy.
        Consistency beats intensity: three short workouts a week will outlast one brutal gym session you
            dread.
        """,
        tags="workouts; exercise; running; strength; gym; health",
    ),
    "jazz": _topic(
        s="""bebop; modal jazz; the Blue Note catalogue; jazz improvisation; big band swing; the walking
        bass line; free jazz; jazz vinyl reissues; Latin jazz; the Great American Songbook; jazz piano
        voicings; hard bop; the saxophone solo; jazz fusion; spiritual jazz; New Orleans brass bands; the
        jam session; cool jazz; London's new jazz scene; jazz drumming; scat singing""",
        person="""a jazz pianist; a session drummer; a jazz club owner; a record producer; a tenor
        saxophonist; a vinyl collector; a late-night jazz radio host; an upright bass player""",
        place="""a basement club in Greenwich Village; a late-night jam session in New Orleans; a record
        shop in Tokyo; the Montreux Jazz Festival; a smoky bar in Harlem; a recording studio in New Jersey""",
        aud="new jazz listeners; record collectors; music students; rock fans curious about jazz",
        musician="""a jazz pianist; a session drummer; a tenor saxophonist; an upright bass player; a
        trumpet player""",
        artist="""Miles Davis; John Coltrane; Thelonious Monk; Ella Fitzgerald; Charles Mingus; Bill
        Evans; Nina Simone; Herbie Hancock; Art Blakey; Billie Holiday; Duke Ellington; Charlie Parker;
        Sonny Rollins; Alice Coltrane; Dave Brubeck; Wayne Shorter""",
        album="""Kind of Blue; A Love Supreme; Mingus Ah Um; Time Out; Head Hunters; Somethin' Else;
        Moanin'; Saxophone Colossus; Waltz for Debby; Maiden Voyage; The Shape of Jazz to Come; Blue Train""",
        style="""bebop; modal jazz; hard bop; cool jazz; free jazz; jazz fusion; swing; spiritual jazz;
        Latin jazz; soul jazz""",
        club="""a basement club in Greenwich Village; a late-night jam in New Orleans; a smoky bar in
        Harlem; a tiny jazz kissa in Tokyo; a cellar club in Copenhagen""",
        titles="""
        list | {n} live albums that capture jazz at its wildest
        review | Live review: a late set at {club}
        explainer | Bebop, modal, hard bop: a listener's map of jazz styles
        explainer | Why {album} still sounds modern
        explainer | What {artist} can teach a young musician today
        list | {n} jazz albums to try if you only know {album}
        list | {n} essential {style} records for {aud}
        interview | {Person} on the night {artist}'s music changed everything
        feature | Inside {club}, where the music starts after midnight
        feature | The story behind {album}
        review | Reissue review: {album}, remastered from the original tapes
        opinion | The {artist} record nobody talks about
        opinion | The quiet comeback of {style}
        howto | How to listen to {style} if it has always confused you
        howto | Learning to improvise: {musician}'s advice for {aud}
        news | A lost session tape from {club} has surfaced
        """,
        details="""
        The quintet recorded the whole album in two sessions, mostly first takes, with barely any rehearsal.
        Listen for the rhythm section dropping out under the saxophone solo, then rushing back in on the
            bridge.
        {Musician} talks about learning standards by ear, transcribing solos and surviving a first jam session.
        The remaster brings the upright bass forward without losing the warmth of the original analogue tape.
        Expect modal vamps, long trumpet lines and a ballad that will stop you in your tracks.
        The club seats barely eighty people, and the house trio swings until two in the morning.
        We trace the music from New Orleans brass bands through swing, bebop and the experiments of the 1960s.
        {Artist}'s phrasing, behind the beat and full of space, is the thing to listen for.
        Original vinyl pressings now sell for hundreds, but the new reissue is cut from the master tapes.
        Chord voicings, the ii-V-I progression and blues scales are explained with short examples you can
            play.
        """,
        tags="music; albums; improvisation; vinyl; saxophone; live-music",
    ),
    "film": _topic(
        s="""the summer blockbuster; practical effects; indie horror; the director's cut; streaming
        premieres; film festivals; the mid-budget drama; animated features; foreign-language cinema; the
        film score; sequels and reboots; documentary filmmaking; cinematography; the awards race; cult
        classics; the movie trailer; IMAX screenings; film restoration; screenwriting; the superhero
        genre; slow cinema; independent cinemas; box office predictions; stunt work; the long take""",
        person="""a cinematographer; a film critic; a stunt coordinator; a festival programmer; a film
        editor; a film composer; a casting director; a projectionist""",
        place="""the Cannes red carpet; an independent cinema in Glasgow; a film editing suite; a
        soundstage in Atlanta; a midnight screening; the Sundance Film Festival""",
        aud="film students; casual moviegoers; horror fans; people who only watch on streaming",
        genrefilm="""horror film; science-fiction epic; romantic comedy; noir thriller; western;
        documentary feature; animated feature; heist movie; musical; courtroom drama; war film;
        coming-of-age drama""",
        director="""Agnès Varda; Akira Kurosawa; Greta Gerwig; Denis Villeneuve; Bong Joon-ho; Céline
        Sciamma; Christopher Nolan; Hayao Miyazaki; Jordan Peele; Wong Kar-wai; Sofia Coppola; Alfred
        Hitchcock; Park Chan-wook""",
        festival="Cannes; Venice; Sundance; Toronto; the Berlinale",
        titles="""
        opinion | Critics were wrong about this {genrefilm}
        list | {n} {genrefilm}s to stream this weekend
        news | Why audiences are coming back to cinemas for the {genrefilm}
        review | Review: a slow-burning {genrefilm} that earns its ending
        review | Worth seeing in IMAX? Our verdict on the season's biggest {genrefilm}
        list | {n} films to watch if you love {director}
        list | The {n} best {genrefilm}s of the decade, ranked
        explainer | How {director} frames a scene
        explainer | What makes a great {genrefilm}?
        interview | {Person} on the shot that almost didn't happen
        feature | Behind the scenes at {place}
        feature | The forgotten {genrefilm} that shaped modern cinema
        opinion | Streaming is changing the {genrefilm}, and not for the better
        opinion | In defence of {s}
        news | The {genrefilm} everyone was talking about at {festival}
        howto | Where to start with {director}: a route through the filmography
        """,
        details="""
        The cinematography favours long takes and natural light, and the score stays almost silent until the
            last act.
        {Person} describes weeks of rehearsal, a collapsing set and a shoot that ran forty days over schedule.
        The screenplay's twist is well signposted, but the lead performance carries it.
        Expect spoilers after the first section, where we break down the final scene shot by shot.
        The film premiered at {festival} to a long standing ovation and reaches cinemas next month.
        {Director}'s influence is everywhere: the framing, the colour palette, the patient pacing.
        Practical effects and real locations give the action a weight that green screen rarely manages.
        We list where each title is streaming, plus the ones worth tracking down on Blu-ray.
        Box office numbers were modest on opening weekend, but word of mouth has kept the screens full.
        The editing, by turns frantic and hypnotic, does most of the storytelling.
        """,
        tags="movies; cinema; directors; reviews; streaming; box-office",
    ),
    "climate": _topic(
        s="""carbon capture; heat pumps; sea-level rise; offshore wind; the Paris Agreement targets;
        methane emissions; climate adaptation; electric vehicles; green hydrogen; longer wildfire seasons;
        coral bleaching; carbon offsets; grid-scale batteries; melting glaciers; climate migration; urban
        heatwaves; rewilding; solar farms; the loss and damage fund; permafrost thaw; climate litigation;
        low-carbon concrete; flood defences; net-zero pledges; the jet stream""",
        person="""a climate scientist; a glaciologist; an energy analyst; a flood engineer; a wildfire
        firefighter; a climate negotiator; an oceanographer; a solar installer""",
        place="""a melting glacier in Greenland; a flooded delta in Bangladesh; an offshore wind farm in
        the North Sea; the UN climate summit; a drought-hit farm in Spain; a bleached coral reef off
        Queensland""",
        aud="homeowners; coastal communities; commuters; city planners; young voters",
        solution="""heat pumps; offshore wind; green hydrogen; grid-scale batteries; rewilding; low-carbon
        concrete; solar farms; carbon capture; electric buses; regenerative farming""",
        hazard="floods; drought; wildfires; rising seas; extreme heat; melting permafrost; coastal erosion",
        region="""the Arctic; the Sahel; the Amazon basin; the Alps; the Mekong Delta; California;
        southern Europe; the Himalayas; the Pacific islands; Bangladesh; Australia's east coast""",
        titles="""
        explainer | The carbon footprint of your diet, explained
        list | {n} cities leading the way on {solution}
        interview | Notes from the front line: {person} on a summer of {hazard}
        news | Record heat across {region} raises fresh alarm among scientists
        news | What the latest climate summit agreed, and what it left out
        news | Why temperatures in {region} are rising faster than the global average
        explainer | How {solution} could cut emissions faster than expected
        explainer | {Solution}: real fix or expensive distraction?
        explainer | {S} and the science behind the headlines
        opinion | {Solution} alone won't save us
        feature | Dispatch from {place}
        feature | Living with {hazard}: one town's story from {region}
        interview | {Person} on what the data is really telling us
        howto | How to cut your household's carbon footprint without going broke
        list | {n} climate solutions that are already working
        review | We lived with a heat pump for a winter. Here's the bill
        """,
        details="""
        Global temperatures are now about 1.2C above pre-industrial levels, and each fraction brings more
            extreme weather.
        {Person} explains how ice cores, ocean buoys and satellite data are combined in climate models.
        The project stores captured carbon dioxide in porous rock more than a kilometre underground.
        Insurance premiums in flood-prone areas have doubled, pushing some families out of their homes.
        Wind and solar now provide more new power capacity than coal and gas combined.
        Negotiators still disagree over who pays for adaptation in poorer countries that emitted the least
            carbon.
        We look at emissions data sector by sector: transport, buildings, agriculture and heavy industry.
        Droughts are longer and rainfall more intense, a pattern scientists link directly to a warming
            atmosphere.
        Insulation and swapping a gas boiler for a heat pump can halve a home's carbon emissions.
        Restored wetlands and mangroves absorb storm surges while locking away carbon.
        """,
        tags="emissions; global-warming; renewables; environment; energy; weather",
    ),
    "gaming": _topic(
        s="""open-world games; indie roguelikes; speedrunning; esports; game preservation;
        microtransactions; cozy games; the Nintendo Switch; PC gaming; soulslike difficulty; retro
        consoles; video game soundtracks; live-service games; cloud gaming; modding communities; crunch in
        game development; co-op multiplayer; VR headsets; battle royales; handheld gaming PCs; visual
        novels; early access launches; game accessibility; metroidvanias; narrative design""",
        person="""a game designer; a speedrunner; a professional esports player; a level designer; a game
        composer; a QA tester; a modder; a Twitch streamer""",
        place="""a tiny indie studio in Montreal; the Tokyo Game Show; an esports arena in Seoul; a retro
        arcade; a charity speedrunning marathon""",
        aud="""lapsed gamers; parents of young gamers; Steam Deck owners; families with young kids; people
        new to PC gaming""",
        game="""Elden Ring; Hades; Stardew Valley; Baldur's Gate 3; Minecraft; Hollow Knight; Disco
        Elysium; Celeste; Red Dead Redemption 2; Tetris; Outer Wilds; Portal 2; Animal Crossing; Dark
        Souls""",
        bossgame="Elden Ring; Dark Souls; Hollow Knight; Hades; Sekiro; Cuphead; Bloodborne",
        platform="PlayStation 5; Xbox Series X; Nintendo Switch; Steam Deck; Meta Quest 3; ROG Ally",
        genre="""roguelikes; platformers; city builders; survival games; strategy games; farming sims;
        horror games; racing games; puzzle games; fighting games; metroidvanias""",
        studio="""a tiny indie studio in Montreal; a two-person studio in Melbourne; a Polish RPG studio;
        a Kyoto studio known for puzzle games""",
        titles="""
        review | {Game} on {platform}: how well does it run?
        list | The {n} best co-op games to play with a partner
        howto | How to get into {genre} without getting frustrated
        review | Revisiting {game}: does it still hold up?
        review | {Platform}, one year on: is it worth buying now?
        list | {n} {genre} to play if you loved {game}
        list | {n} hidden gems on {platform} you probably missed
        howto | How to beat {bossgame}'s hardest boss without losing your mind
        howto | Setting up the perfect couch co-op night for {aud}
        interview | {Person} on the level that took two years to get right
        news | {Platform} update adds a feature players have wanted for years
        news | The {game} speedrun record just fell again
        opinion | Why {genre} deserve more respect
        feature | Inside {studio}, where the next cult hit is being made
        explainer | What {game} gets right that most games don't
        explainer | The strange, wonderful world of {s}
        """,
        details="""
        The combat is punishing at first, but each death teaches you something about enemy patterns and
            timing.
        Frame rate holds a steady 60fps in performance mode, though loading times are longer on older
            consoles.
        {Person} explains how playtesting shaped the difficulty curve and the layout of the map.
        The soundtrack, all synths and strings, might be the best thing in the game.
        We cover controller settings, accessibility options and which difficulty to pick for a first
            playthrough.
        Co-op works online and split-screen, and crossplay between consoles is finally supported.
        The studio shipped without microtransactions or a battle pass, a rarity for a game this size.
        Speedrunners have already found a glitch that skips nearly half the campaign.
        Expect forty hours for the main story, and well over a hundred if you chase every side quest.
        This week's patch rebalances weapons, fixes save corruption and adds a photo mode.
        """,
        tags="video-games; consoles; pc-gaming; indie-games; esports; gamers",
    ),
    "parenting": _topic(
        s="""toddler tantrums; screen time; sleep training; picky eating; potty training; teenage mood
        swings; homework; sibling rivalry; the first day of school; gentle parenting; pocket money;
        newborn sleep; breastfeeding; co-parenting after divorce; teens and social media; raising readers;
        parental burnout; baby-led weaning; childcare costs; playdates; bedtime routines; school anxiety;
        family holidays with toddlers; raising bilingual kids""",
        person="""a child psychologist; a paediatrician; a primary school teacher; a midwife; a single dad
        of three; a children's sleep consultant; a family therapist; a stay-at-home mum""",
        place="""a busy nursery; a paediatric sleep clinic; the school gate at quarter to nine; a
        parent-and-toddler group in a church hall; a Saturday morning swimming lesson""",
        aud="""new parents; working parents; single parents; grandparents who help with childcare; parents
        of teens""",
        age="toddlers; preschoolers; teenagers; tweens; primary school kids; six-year-olds; twins",
        issue="""tantrums; bedtime battles; sibling fights; meltdowns at the supermarket; homework
        standoffs; screen-time arguments; chaotic school mornings; dinner-table standoffs""",
        talk="""money; death; friendship; online safety; their changing bodies; moving house; a new
        sibling; divorce""",
        titles="""
        explainer | {Issue}: what's normal, and when to worry
        review | {S}: we asked five families what really works
        list | {n} easy packed lunches {age} will actually eat
        feature | One week, no screens: what happened to our family
        howto | Getting {age} out the door in the morning without shouting
        howto | How to handle {issue} without losing your cool
        howto | The bedtime routine that finally worked for our {age}
        howto | How to talk to {age} about {talk}
        list | {n} screen-free activities for {age} on a rainy day
        list | {n} things to say instead of "calm down"
        opinion | Let them be bored: why {age} need unstructured time
        opinion | Nobody talks honestly about {s}
        explainer | What {person} wants you to know about {s}
        explainer | Why {issue} happen, and what actually helps
        interview | "Nobody warned me about this": parents of {age} on what surprised them
        feature | A morning at {place}
        news | New guidance on {s} for parents of {age}
        review | We tried {n} baby carriers. These are the ones we kept
        """,
        details="""
        {Person} suggests naming the feeling out loud, staying close and waiting for the storm to pass.
        Consistent routines of bath, book and bed help young children feel safe enough to fall asleep alone.
        Most toddlers refuse vegetables at some point; keep offering without pressure and eat together when
            you can.
        The advice is tailored by age, from toddlers to teenagers, with scripts you can use word for word.
        Mums and dads share what worked for their kids, what didn't and how they coped with the exhaustion.
        Childcare costs now eat up a third of the average family's income, and many parents are cutting work
            hours.
        Set screen-time limits together with your children so the family rules feel fair rather than imposed.
        Praise effort rather than results, and let children solve small problems before stepping in.
        Teachers say a calm morning routine makes a visible difference to how children settle at school.
        The paediatric guidance is clear: babies sleep on their backs, on a firm mattress, with nothing else
            in the cot.
        """,
        tags="kids; family; parents; children; toddlers; teens",
    ),
    "history": _topic(
        s="""the Silk Road; medieval castles; the printing press; the Roman army; Viking longships;
        Victorian London; ancient Greek democracy; the Library of Alexandria; the Ottoman court;
        Renaissance Florence; the Mongol postal system; Egyptian hieroglyphs; the Hanseatic League;
        medieval medicine; Cold War spies; the Aztec capital Tenochtitlan; the Meiji Restoration; Roman
        roads; castle sieges; the spice trade; the Domesday Book; the samurai; Napoleonic warfare; the
        Terracotta Army; Stonehenge""",
        person="""a historian; an archaeologist; a museum curator; an archivist; a medieval manuscript
        expert; a military historian; a classicist""",
        place="""a Roman villa in Britain; the British Library archives; a shipwreck off the Turkish
        coast; a Bronze Age burial mound; the Vatican Library; the excavations at Pompeii""",
        aud="history buffs; students; museum lovers; armchair detectives",
        event="""the fall of Rome; the French Revolution; the Black Death; the Great Depression; the First
        World War; the Bronze Age collapse; the Salem witch trials; the Reformation; the Great Fire of
        London; the fall of Constantinople""",
        figure="""Cleopatra; Napoleon; Genghis Khan; Elizabeth I; Julius Caesar; Charlemagne; Joan of Arc;
        Abraham Lincoln; Catherine the Great; Ada Lovelace; Suleiman the Magnificent; Harriet Tubman;
        Alexander the Great; Hatshepsut""",
        century="the 12th century; the 1600s; the Bronze Age; late antiquity; the 18th century; the 1920s",
        find="""a hoard of Roman coins; a Viking sword; Anglo-Saxon gold; a Roman mosaic; a sealed tomb; a
        Bronze Age dagger; a medieval leather shoe; a carved stone altar""",
        dig="""in a farmer's field in Norfolk; on the banks of the Thames; beneath a car park in
        Leicester; in a Danish peat bog; under a building site in York; in a cave in southern France""",
        titles="""
        list | {n} objects that explain {event}
        explainer | What people ate in {century}
        feature | Walking in the footsteps of {figure}
        explainer | What really caused {event}?
        explainer | How {s} shaped the world we live in
        explainer | Why {figure} still divides historians
        news | Archaeologists uncover {find} {dig}
        news | New DNA evidence rewrites the story of {event}
        feature | The real {figure}, beyond the legend
        feature | Daily life in {century}, told through one household
        feature | Letters from {century}: what ordinary people wrote home about
        list | {n} myths about {s} that refuse to die
        list | {n} lost cities archaeologists are still searching for
        interview | {Person} on the discovery that changed how we see {event}
        opinion | History class got {figure} wrong
        howto | How to read a medieval manuscript, and why you'd want to
        """,
        details="""
        Surviving letters, tax records and court documents reveal a messier picture than the textbooks
            suggest.
        {Person} walks us through the evidence, from pottery shards to parish registers.
        The empire stretched from the Atlantic to the Persian Gulf, held together by roads, taxes and the
            army.
        Radiocarbon dating places the find centuries earlier than archaeologists first thought.
        Chroniclers writing at the time had their own agendas, so every account needs to be read with care.
        Plague, famine and war reshaped the population, and with it who owned land and who worked it.
        Maps, portraits and primary sources accompany the piece, along with a timeline of key dates.
        The excavation {dig} has turned up coins, weapons and the foundations of a great hall.
        Historians still argue about the role of trade, religion and climate in the kingdom's collapse.
        {Figure}'s reputation was rewritten by later rulers and chroniclers, who had every reason to blacken
            it.
        """,
        tags="archaeology; ancient-history; medieval; empires; historians; museums",
    ),
    "photography": _topic(
        s="""street photography; film photography; long exposures; portrait lighting; mirrorless cameras;
        golden-hour light; black-and-white photography; prime lenses; macro photography; wildlife
        photography; Lightroom editing; composition; darkroom printing; smartphone photography; flash
        photography; landscape photography; photo books; medium format; instant cameras; documentary
        photography; shooting RAW; shallow depth of field; point-and-shoot cameras""",
        person="""a street photographer; a wedding photographer; a photojournalist; a darkroom printer; a
        wildlife photographer; a portrait photographer; a picture editor""",
        place="""a community darkroom; a photo agency's archive; a wildlife hide at dawn; a portrait
        studio; a busy wedding reception; a camera repair shop""",
        aud="""beginners with a new camera; smartphone shooters; film photography newcomers; hobbyists who
        want to go pro""",
        camera="""Leica M6; Fujifilm X100VI; Canon AE-1; Sony A7 IV; Nikon Z6; Ricoh GR III; Pentax 67;
        Hasselblad 500C; iPhone 15 Pro""",
        lens="""a 35mm lens; a 50mm prime; a 24-70mm zoom; a macro lens; a telephoto lens; an 85mm
        portrait lens; a 28mm lens""",
        style="""street portraits; night scenes; landscapes; your family; architecture; wildlife; food;
        rainy city streets; macro close-ups; concerts""",
        darkroom="""a community darkroom in Berlin; a platinum printing studio; a family-run photo lab in
        Paris; a university darkroom""",
        format="""point-and-shoot cameras; instant film; medium format; the darkroom; black-and-white
        film; compact digital cameras; film rangefinders""",
        titles="""
        howto | How to take better photos of {style} on your phone
        list | {n} photo books every beginner should own
        explainer | How to read a histogram, and why it matters
        howto | How to shoot {style} with just {lens}
        howto | Shooting {style} on the {camera}: settings, tips and what to avoid
        review | Six months with the {camera}: the camera you'll actually carry
        review | {Camera} vs {camera2}: which is better for {style}?
        list | {n} composition tricks that instantly improve your photos
        list | {n} editing mistakes that make your photos look amateur
        interview | {Person} on the photograph they almost didn't take
        feature | Behind the lens: a day with {person}
        feature | Inside {darkroom}, where prints are still made by hand
        explainer | Aperture, shutter speed and ISO, finally explained
        opinion | Why I went back to film after ten years of digital
        opinion | The quiet comeback of {format}
        """,
        details="""
        Shoot at f/8 and be there: a wide aperture isn't always the answer on a busy street.
        We used {lens} for most of the frames, stopping down for landscapes and shooting wide open for
            portraits.
        {Person} explains how to read the light, wait for the gesture and press the shutter a fraction early.
        The sensor handles high ISO surprisingly well, with clean files up to 6400 and usable grain beyond
            that.
        Every image is shown as a straight RAW file next to the final edit, so you can see exactly what
            changed.
        Colour negative film like Portra 400 is forgiving with exposure, but slide film punishes every
            mistake.
        Autofocus tracks eyes reliably, though the camera battery barely lasts a day of shooting.
        Leading lines, negative space and a strong foreground turn a snapshot into a composed photograph.
        Developing black-and-white film at home needs little more than a tank, chemicals and a dark cupboard.
        A cheap reflector and a window give you soft, flattering portrait light without buying a flash.
        """,
        tags="cameras; lenses; photos; film-photography; editing; composition",
    ),
    "pets": _topic(
        s="""crate training; rescue dogs; cat behaviour; raw feeding; separation anxiety in dogs; pet
        insurance; puppy socialisation; senior dogs; indoor cats; dog-friendly holidays; retired racing
        greyhounds; litter training; pet dental care; pet food labels; house rabbits; aquarium keeping;
        clicker training; reactive dogs; flea and tick prevention; shelter adoption; a new kitten's first
        week; pet allergies; microchipping; dog walking""",
        person="""a vet; a dog trainer; an animal behaviourist; a shelter manager; a veterinary nurse; a
        professional dog walker; a cat sitter""",
        place="""an animal rescue centre; a busy vet clinic; a puppy training class; a cat café in Tokyo;
        a greyhound rehoming kennel""",
        aud="""first-time dog owners; cat people; renters with pets; families adopting a rescue; owners of
        older pets""",
        animal="""puppy; kitten; rescue dog; senior cat; border collie; French bulldog; house rabbit;
        greyhound; Maine Coon; cockapoo; guinea pig; senior dog""",
        dog="puppy; rescue dog; greyhound; border collie; spaniel; terrier; Labrador; cockapoo; husky",
        breed="French bulldog; pug; dachshund; husky; cockapoo; border collie; Dalmatian",
        risk="""summer heatstroke in dogs; lilies, which are toxic to cats; chocolate poisoning at
        Christmas; blue-green algae in lakes; ticks in long grass; xylitol in sugar-free snacks;
        antifreeze spills""",
        titles="""
        explainer | {Animal} care 101: food, exercise and vet visits
        interview | {Breed} owners share the honest pros and cons
        howto | How to trim your dog's nails without a fight
        list | {n} dog-friendly walks with a pub at the end
        feature | From shelter to sofa: the first month with a {dog}
        howto | How to help a new {animal} settle in during the first week
        howto | Crate training a {dog} without the drama
        howto | Walking a reactive dog: a trainer's step-by-step plan
        list | {n} signs your {animal} is bored, and how to fix it
        list | {n} things every {animal} owner should have at home
        interview | {Person} on the mistakes new owners make
        feature | A day at {place}
        opinion | Think twice before buying a {breed}
        review | {n} puzzle feeders tested on a very food-motivated {dog}
        explainer | What the labels on pet food actually mean
        explainer | How much exercise does a {dog} really need?
        explainer | Why cats do that: {n} strange behaviours explained
        news | Vets warn owners about {risk}
        """,
        details="""
        Dogs learn fastest with short, frequent sessions and a treat delivered within a second of the
            behaviour.
        {Person} recommends a quiet room, a familiar blanket and a few days of routine before introducing
            visitors.
        Cats scratch to mark territory, so a tall, sturdy scratching post in the right spot saves your sofa.
        Annual vaccinations, flea treatment and regular dental checks prevent most expensive vet bills.
        The shelter rehomes more than three hundred animals a year, many of them older dogs that wait the
            longest.
        We compare pet insurance policies by excess, lifetime cover and how they handle pre-existing
            conditions.
        A tired dog is a calm dog: sniffing walks and puzzle feeders tire the brain as much as the legs.
        Watch for subtle signs of pain in older pets, like reluctance to jump, stiffness after naps or poor
            grooming.
        Introduce a new {animal} to resident pets slowly, swapping scents before they ever meet face to face.
        Rabbits need companionship, space to run and a diet that is mostly hay, not pellets.
        """,
        tags="dogs; cats; vets; animals; pet-care; puppies",
    ),
}
